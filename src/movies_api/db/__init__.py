"""The data layer: tables, repositories, the unit of work, migrations and database locks."""
