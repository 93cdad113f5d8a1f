"""The web UI for people (contract §2 "The web UI"): server-rendered pages over the same
services as the JSON API, a stylesheet and a little JavaScript that calls only that API."""
