"""Build the OMDb simulator's catalogue: src/movies_api/omdb/simulator/catalogue.json.

Run ``python scripts/build_sim_catalogue.py`` and commit the JSON; ``--check``
exits 1 when the committed file is not what this script builds. Output is a
pure function of this file (every random choice is seeded by the record's id).

Real: the ids, titles and years of the seed films (services/seed_ids.txt) and
of the remakes and awkward titles below, and the seed films' directors. Made
up: everything else (plots, cast, scores, dates, box office) and every id in
the tt9xxxxxx range. The records are real-shaped, not real data.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
from pathlib import Path
from typing import Any

Record = dict[str, Any]

TARGET = Path(__file__).resolve().parents[1] / "src/movies_api/omdb/simulator/catalogue.json"

# id | title | year | directors | genres [| languages | countries]
SEED_FILMS = """
tt0111161|The Shawshank Redemption|1994|Frank Darabont|Drama
tt0068646|The Godfather|1972|Francis Ford Coppola|Crime, Drama
tt0071562|The Godfather Part II|1974|Francis Ford Coppola|Crime, Drama
tt0468569|The Dark Knight|2008|Christopher Nolan|Action, Crime, Drama
tt0050083|12 Angry Men|1957|Sidney Lumet|Crime, Drama
tt0108052|Schindler's List|1993|Steven Spielberg|Biography, Drama, History
tt0167260|The Lord of the Rings: The Return of the King|2003|Peter Jackson|Action, Adventure, Drama
tt0110912|Pulp Fiction|1994|Quentin Tarantino|Crime, Drama
tt0120737|The Lord of the Rings: The Fellowship of the Ring|2001|Peter Jackson|Action, Adventure, Drama
tt0060196|The Good, the Bad and the Ugly|1966|Sergio Leone|Adventure, Western|Italian|Italy, Spain, West Germany
tt0109830|Forrest Gump|1994|Robert Zemeckis|Drama, Romance
tt0137523|Fight Club|1999|David Fincher|Drama
tt0167261|The Lord of the Rings: The Two Towers|2002|Peter Jackson|Action, Adventure, Drama
tt1375666|Inception|2010|Christopher Nolan|Action, Adventure, Sci-Fi
tt0080684|Star Wars: Episode V - The Empire Strikes Back|1980|Irvin Kershner|Action, Adventure, Fantasy
tt0133093|The Matrix|1999|Lana Wachowski, Lilly Wachowski|Action, Sci-Fi
tt0099685|Goodfellas|1990|Martin Scorsese|Biography, Crime, Drama
tt0073486|One Flew Over the Cuckoo's Nest|1975|Milos Forman|Drama
tt0114369|Se7en|1995|David Fincher|Crime, Drama, Mystery
tt0038650|It's a Wonderful Life|1946|Frank Capra|Drama, Family, Fantasy
tt0047478|Seven Samurai|1954|Akira Kurosawa|Action, Drama|Japanese|Japan
tt0102926|The Silence of the Lambs|1991|Jonathan Demme|Crime, Drama, Thriller
tt0120815|Saving Private Ryan|1998|Steven Spielberg|Drama, War
tt0317248|City of God|2002|Fernando Meirelles, Kátia Lund|Crime, Drama|Portuguese|Brazil
tt0118799|Life Is Beautiful|1997|Roberto Benigni|Comedy, Drama, Romance|Italian|Italy
tt0816692|Interstellar|2014|Christopher Nolan|Adventure, Drama, Sci-Fi
tt0120689|The Green Mile|1999|Frank Darabont|Crime, Drama, Fantasy
tt0076759|Star Wars: Episode IV - A New Hope|1977|George Lucas|Action, Adventure, Fantasy
tt0245429|Spirited Away|2001|Hayao Miyazaki|Animation, Adventure, Family|Japanese|Japan
tt0114814|The Usual Suspects|1995|Bryan Singer|Crime, Drama, Mystery
tt0110413|Léon: The Professional|1994|Luc Besson|Action, Crime, Drama|English, French|France
tt0253474|The Pianist|2002|Roman Polanski|Biography, Drama, Music|English, German|France, Poland
tt0172495|Gladiator|2000|Ridley Scott|Action, Adventure, Drama
tt0110357|The Lion King|1994|Roger Allers, Rob Minkoff|Animation, Adventure, Drama
tt0407887|The Departed|2006|Martin Scorsese|Crime, Drama, Thriller
tt0088763|Back to the Future|1985|Robert Zemeckis|Adventure, Comedy, Sci-Fi
tt2582802|Whiplash|2014|Damien Chazelle|Drama, Music
tt0482571|The Prestige|2006|Christopher Nolan|Drama, Mystery, Sci-Fi
tt0103064|Terminator 2: Judgment Day|1991|James Cameron|Action, Sci-Fi
tt0034583|Casablanca|1942|Michael Curtiz|Drama, Romance, War
tt0054215|Psycho|1960|Alfred Hitchcock|Horror, Mystery, Thriller
tt0095327|Grave of the Fireflies|1988|Isao Takahata|Animation, Drama, War|Japanese|Japan
tt0027977|Modern Times|1936|Charles Chaplin|Comedy, Drama, Family
tt0021749|City Lights|1931|Charles Chaplin|Comedy, Drama, Romance
tt0064116|Once Upon a Time in the West|1968|Sergio Leone|Western|Italian, English|Italy, United States
tt0047396|Rear Window|1954|Alfred Hitchcock|Mystery, Thriller
tt0095765|Cinema Paradiso|1988|Giuseppe Tornatore|Drama, Romance|Italian|Italy, France
tt0078748|Alien|1979|Ridley Scott|Horror, Sci-Fi|English|United Kingdom, United States
tt0078788|Apocalypse Now|1979|Francis Ford Coppola|Drama, Mystery, War
tt0209144|Memento|2000|Christopher Nolan|Mystery, Thriller
tt0082971|Raiders of the Lost Ark|1981|Steven Spielberg|Action, Adventure
tt0032553|The Great Dictator|1940|Charles Chaplin|Comedy, Drama, War
tt0405094|The Lives of Others|2006|Florian Henckel von Donnersmarck|Drama, Mystery, Thriller|German|Germany
tt1853728|Django Unchained|2012|Quentin Tarantino|Drama, Western
tt0081505|The Shining|1980|Stanley Kubrick|Drama, Horror|English|United Kingdom, United States
tt0050825|Paths of Glory|1957|Stanley Kubrick|Drama, War
tt0910970|WALL·E|2008|Andrew Stanton|Animation, Adventure, Family
tt0043014|Sunset Boulevard|1950|Billy Wilder|Drama, Film-Noir
tt0057012|Dr. Strangelove or: How I Learned to Stop Worrying and Love the Bomb|1964|Stanley Kubrick|Comedy, War|English|United Kingdom, United States
tt0364569|Oldboy|2003|Park Chan-wook|Action, Drama, Mystery|Korean|South Korea
tt0051201|Witness for the Prosecution|1957|Billy Wilder|Crime, Drama, Mystery
tt0090605|Aliens|1986|James Cameron|Action, Adventure, Sci-Fi
tt0169547|American Beauty|1999|Sam Mendes|Drama
tt1345836|The Dark Knight Rises|2012|Christopher Nolan|Action, Drama, Thriller
tt0087843|Once Upon a Time in America|1984|Sergio Leone|Crime, Drama|English|Italy, United States
tt0082096|Das Boot|1981|Wolfgang Petersen|Drama, War|German|West Germany
tt0112573|Braveheart|1995|Mel Gibson|Biography, Drama, History
tt0086190|Star Wars: Episode VI - Return of the Jedi|1983|Richard Marquand|Action, Adventure, Fantasy
tt0114709|Toy Story|1995|John Lasseter|Animation, Adventure, Comedy
tt0105236|Reservoir Dogs|1992|Quentin Tarantino|Crime, Thriller
tt0211915|Amélie|2001|Jean-Pierre Jeunet|Comedy, Romance|French|France, Germany
tt0119698|Princess Mononoke|1997|Hayao Miyazaki|Animation, Action, Adventure|Japanese|Japan
tt0086879|Amadeus|1984|Milos Forman|Biography, Drama, Music
tt0045152|Singin' in the Rain|1952|Stanley Donen, Gene Kelly|Comedy, Musical, Romance
tt0062622|2001: A Space Odyssey|1968|Stanley Kubrick|Adventure, Sci-Fi|English|United Kingdom, United States
tt0053125|North by Northwest|1959|Alfred Hitchcock|Action, Adventure, Mystery
tt0033467|Citizen Kane|1941|Orson Welles|Drama, Mystery
tt0066921|A Clockwork Orange|1971|Stanley Kubrick|Crime, Sci-Fi|English|United Kingdom, United States
tt0052357|Vertigo|1958|Alfred Hitchcock|Mystery, Romance, Thriller
tt0075314|Taxi Driver|1976|Martin Scorsese|Crime, Drama
tt0093058|Full Metal Jacket|1987|Stanley Kubrick|Drama, War|English|United Kingdom, United States
tt0070735|The Sting|1973|George Roy Hill|Comedy, Crime, Drama
tt0056172|Lawrence of Arabia|1962|David Lean|Adventure, Biography, Drama|English, Arabic|United Kingdom
tt0208092|Snatch|2000|Guy Ritchie|Comedy, Crime|English|United Kingdom, United States
tt0086250|Scarface|1983|Brian De Palma|Crime, Drama|English, Spanish|United States
tt0119488|L.A. Confidential|1997|Curtis Hanson|Crime, Drama, Mystery
tt0040522|Bicycle Thieves|1948|Vittorio De Sica|Drama|Italian|Italy
tt0180093|Requiem for a Dream|2000|Darren Aronofsky|Drama
tt0338013|Eternal Sunshine of the Spotless Mind|2004|Michel Gondry|Drama, Romance, Sci-Fi
tt0112641|Casino|1995|Martin Scorsese|Crime, Drama
tt0071853|Monty Python and the Holy Grail|1975|Terry Gilliam, Terry Jones|Adventure, Comedy, Fantasy|English, French, Latin|United Kingdom
tt0055630|Yojimbo|1961|Akira Kurosawa|Action, Drama, Thriller|Japanese|Japan
tt0057565|High and Low|1963|Akira Kurosawa|Crime, Drama, Mystery|Japanese|Japan
tt0017136|Metropolis|1927|Fritz Lang|Drama, Sci-Fi|German|Germany
tt0036775|Double Indemnity|1944|Billy Wilder|Crime, Drama, Film-Noir
tt0042876|Rashomon|1950|Akira Kurosawa|Crime, Drama, Mystery|Japanese|Japan
tt0075686|Annie Hall|1977|Woody Allen|Comedy, Romance
tt0107290|Jurassic Park|1993|Steven Spielberg|Action, Adventure, Sci-Fi
tt0120382|The Truman Show|1998|Peter Weir|Comedy, Drama
tt0118715|The Big Lebowski|1998|Joel Coen, Ethan Coen|Comedy, Crime
tt0116282|Fargo|1996|Joel Coen, Ethan Coen|Crime, Drama, Thriller
tt0083658|Blade Runner|1982|Ridley Scott|Action, Drama, Sci-Fi
tt0097576|Indiana Jones and the Last Crusade|1989|Steven Spielberg|Action, Adventure
tt0266697|Kill Bill: Vol. 1|2003|Quentin Tarantino|Action, Crime, Thriller|English, Japanese|United States
tt0089881|Ran|1985|Akira Kurosawa|Action, Drama, War|Japanese|Japan, France
tt0077416|The Deer Hunter|1978|Michael Cimino|Drama, War
tt0061512|Cool Hand Luke|1967|Stuart Rosenberg|Crime, Drama
tt0046912|Dial M for Murder|1954|Alfred Hitchcock|Crime, Thriller
tt0015864|The Gold Rush|1925|Charles Chaplin|Adventure, Comedy, Drama
tt0050212|The Bridge on the River Kwai|1957|David Lean|Adventure, Drama, War|English|United Kingdom, United States
tt0044741|Ikiru|1952|Akira Kurosawa|Drama|Japanese|Japan
tt0198781|Monsters, Inc.|2001|Pete Docter|Animation, Adventure, Comedy
tt0266543|Finding Nemo|2003|Andrew Stanton|Animation, Adventure, Comedy
tt0435761|Toy Story 3|2010|Lee Unkrich|Animation, Adventure, Comedy
tt0434409|V for Vendetta|2005|James McTeigue|Action, Drama, Sci-Fi|English|United Kingdom, United States
tt0361748|Inglourious Basterds|2009|Quentin Tarantino|Adventure, Drama, War|English, German, French|United States, Germany
tt0372784|Batman Begins|2005|Christopher Nolan|Action, Crime, Drama
tt0993846|The Wolf of Wall Street|2013|Martin Scorsese|Biography, Comedy, Crime
tt1130884|Shutter Island|2010|Martin Scorsese|Mystery, Thriller
tt0477348|No Country for Old Men|2007|Joel Coen, Ethan Coen|Crime, Drama, Thriller
"""  # noqa: E501 - a table reads best unwrapped

# Remakes and titles that are awkward in a URL, a sort or a terminal (same columns).
AWKWARD_FILMS = """
tt0119094|Face/Off|1997|John Woo|Action, Crime, Sci-Fi
tt7638348|100% Wolf|2020|Alexs Stadermann|Animation, Adventure, Comedy|English|Australia
tt0090555|"Crocodile" Dundee|1986|Peter Faiman|Adventure, Comedy|English|Australia
tt0054135|Ocean's Eleven|1960|Lewis Milestone|Comedy, Crime, Music
tt0240772|Ocean's Eleven|2001|Steven Soderbergh|Crime, Thriller
tt0087182|Dune|1984|David Lynch|Action, Adventure, Sci-Fi
tt1160419|Dune|2021|Denis Villeneuve|Action, Adventure, Drama
tt0084787|The Thing|1982|John Carpenter|Horror, Mystery, Sci-Fi
tt0905372|The Thing|2011|Matthijs van Heijningen Jr.|Horror, Mystery, Sci-Fi
tt0029606|A Star Is Born|1937|William A. Wellman|Drama, Romance
tt0047522|A Star Is Born|1954|George Cukor|Drama, Musical, Romance
tt0075265|A Star Is Born|1976|Frank Pierson|Drama, Music, Romance
tt1517451|A Star Is Born|2018|Bradley Cooper|Drama, Music, Romance
tt0056801|8½|1963|Federico Fellini|Drama|Italian|Italy, France
tt0356910|Mr. & Mrs. Smith|2005|Doug Liman|Action, Comedy, Crime
tt0096438|Who Framed Roger Rabbit|1988|Robert Zemeckis|Animation, Comedy, Crime
tt2614684|'71|2014|Yann Demange|Action, Drama, Thriller|English|United Kingdom
tt1022603|(500) Days of Summer|2009|Marc Webb|Comedy, Drama, Romance
tt0078718|...And Justice for All|1979|Norman Jewison|Crime, Drama, Thriller
tt10620868|#Alive|2020|Cho Il-hyung|Action, Drama, Horror|Korean|South Korea
tt1038988|[REC]|2007|Jaume Balagueró, Paco Plaza|Horror|Spanish|Spain
tt0092086|¡Three Amigos!|1986|John Landis|Comedy, Western
tt0402022|Æon Flux|2005|Karyn Kusama|Action, Adventure, Sci-Fi
tt0103644|Alien³|1992|David Fincher|Action, Horror, Sci-Fi
tt0046438|東京物語|1953|Yasujirō Ozu|Drama|Japanese|Japan
tt0096283|となりのトトロ|1988|Hayao Miyazaki|Animation, Comedy, Family|Japanese|Japan
tt0047034|ゴジラ|1954|Ishirō Honda|Horror, Sci-Fi|Japanese|Japan
tt0015648|Броненосец «Потёмкин»|1925|Sergei Eisenstein|Drama, History|Russian|Soviet Union
tt0079944|Сталкер|1979|Andrei Tarkovsky|Drama, Sci-Fi|Russian|Soviet Union
tt0118767|Брат|1997|Aleksei Balabanov|Action, Crime, Drama|Russian|Russia
tt0057831|Αλέξης Ζορμπάς|1964|Michael Cacoyannis|Adventure, Comedy, Drama|Greek, English|Greece
tt2258858|وجدة|2012|Haifaa al-Mansour|Drama, Family|Arabic|Saudi Arabia, Germany
tt0106332|霸王别姬|1993|Chen Kaige|Drama, Music, Romance|Mandarin|China, Hong Kong
tt6751668|기생충|2019|Bong Joon Ho|Drama, Thriller|Korean|South Korea
tt9100002|Snake_Case: The Movie|2016|Ada Underwood|Comedy
tt9100003|What? Why? #Because+Then|2019|Quinn Marlowe|Comedy, Drama
tt9100010|Spaced  Out|2012|Noor Blank|Comedy
"""

LONG_TITLE = (
    "The Extraordinarily Long and Winding Chronicle of a Title That Refuses to End, "
    "Told in Several Parts, With Digressions, Footnotes, Intermissions, Reprises, "
    "Encores and One Final Word for Anyone Still Reading After the Lights Come Up in the Grand Hall"
)
LONG_ID = "tt9100013"

# Titles sharing common words, so that a search-based seed finds 100 movies in ~10 pages.
KEYWORDS = ("Love", "War", "Night", "Man", "Star")
ADJECTIVES = (
    "Silent", "Last", "Broken", "Golden", "Hidden", "Endless", "Crimson", "Distant",
    "Quiet", "Burning", "Frozen", "Secret", "Wild", "Lonely", "Restless", "Fallen",
    "Northern", "Southern", "Eternal", "Forgotten", "Bitter", "Electric", "Paper", "Iron",
    "Glass", "Velvet", "Savage", "Gentle", "Stolen", "Second", "Final", "First",
    "Long", "Dark", "Bright", "Hollow", "Scarlet", "Summer", "Winter", "Lucky",
)  # fmt: skip
PLACES = (
    "Paris", "Lisbon", "Tokyo", "Havana", "Cairo", "Berlin", "Oslo", "Lagos",
    "Montreal", "Kyoto", "Naples", "Istanbul", "Valparaíso", "Reykjavík",
)  # fmt: skip
NOUNS = ("River", "City", "Sea", "Road", "Mountain", "Desert", "Harbor", "Valley", "Island")
TEMPLATES = ("The {adj} {kw}", "{kw} of the {adj} {noun}", "{adj} {kw} in {place}")

FIRST_NAMES = (
    "Alex", "Maria", "Jonah", "Priya", "Tomás", "Ingrid", "Kwame", "Mei", "Louis", "Hana",
    "Rafael", "Sofia", "Dmitri", "Amara", "Elliot", "Yuki", "Nadia", "Oscar", "Leila", "Felix",
)  # fmt: skip
LAST_NAMES = (
    "Morgan", "Okafor", "Lindqvist", "Moreau", "Castillo", "Tanaka", "Novak", "Hughes",
    "Ferreira", "Kowalski", "Haddad", "Brennan", "Sato", "Albers", "Reyes", "Whitfield",
)  # fmt: skip
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
PLOT_OPENINGS = (
    "A {role} in {place} is pulled into a conflict far larger than {pronoun} expected.",
    "When a {role} receives a letter from {place}, an ordinary life comes apart.",
    "Years after leaving {place}, a {role} returns to settle an old debt.",
    "A {role} and a stranger from {place} share one long, decisive night.",
)
PLOT_MIDDLES = (
    "Loyalties shift as every choice closes another door.",
    "What begins as a favour turns into a test of conscience.",
    "Old friends become rivals, and rivals become the only allies left.",
    "The truth arrives slowly, and it costs more than anyone can pay.",
)
PLOT_ENDINGS = (
    "In the end, {pronoun} must decide what is worth keeping.",
    "Nothing that follows can be undone.",
    "The price of the answer is paid by everyone who asked.",
)
ROLES = ("detective", "teacher", "pilot", "musician", "smuggler", "doctor", "soldier", "clerk")


def main(argv: list[str]) -> int:
    built = render(build())
    if "--check" in argv:
        if TARGET.read_text(encoding="utf-8") != built:
            print(f"{TARGET} is stale: run python scripts/build_sim_catalogue.py")
            return 1
        return 0
    TARGET.write_text(built, encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


def render(records: list[Record]) -> str:
    """One record a line: small diffs, still valid JSON."""
    lines = ",\n".join(json.dumps(record, ensure_ascii=False) for record in records)
    return f"[\n{lines}\n]\n"


def build() -> list[Record]:
    records = [*table(SEED_FILMS), *table(AWKWARD_FILMS), *oddities(), *common_word_films()]
    ids = [record["imdbID"] for record in records]
    assert len(ids) == len(set(ids)), "duplicate imdbID"
    return records


def table(text: str) -> list[Record]:
    rows = []
    for line in text.strip("\n").splitlines():
        movie_id, title, year, directors, genres, *rest = line.split("|")
        languages, countries = rest if rest else ("English", "United States")
        rows.append(
            movie(
                movie_id,
                title,
                int(year),
                Director=directors,
                Genre=genres,
                Language=languages,
                Country=countries,
            )
        )
    return rows


def common_word_films() -> list[Record]:
    records = []
    for k, keyword in enumerate(KEYWORDS):
        for i, adj in enumerate(ADJECTIVES):
            n = k * len(ADJECTIVES) + i
            template = TEMPLATES[(i + k) % len(TEMPLATES)]
            title = template.format(
                adj=adj, kw=keyword, noun=NOUNS[n % len(NOUNS)], place=PLACES[n % len(PLACES)]
            )
            year = 1950 + (n * 7) % 74
            records.append(movie(f"tt92{n:05d}", title, year))
    return records


def oddities() -> list[Record]:
    """Series, an episode, N/A everywhere, and fields OMDb spells badly."""
    got = series("tt0944947", "Game of Thrones", "2011\u20132019", seasons=8)
    return [
        got,
        series("tt0903747", "Breaking Bad", "2008\u20132013", seasons=5),
        series("tt9100011", "Dune", "2000", seasons=1),
        series("tt9100012", "The Night Shift Chronicles", "2021\u2013", seasons=3),
        episode("tt1480055", "Winter Is Coming", 2011, got, season=1, number=1),
        movie(LONG_ID, LONG_TITLE, 2015),
        movie(
            "tt9100014",
            "Untitled Lost Reel",
            1911,
            **dict.fromkeys(
                ("Rated", "Released", "Runtime", "Genre", "Director", "Writer", "Actors"), "N/A"
            ),
            **dict.fromkeys(
                ("Plot", "Language", "Country", "Awards", "Poster", "Metascore"), "N/A"
            ),
            **dict.fromkeys(("imdbRating", "imdbVotes", "DVD", "BoxOffice"), "N/A"),
            Ratings=[],
        ),
        movie("tt9100015", "A Year Without a Day", 2010, Released="2010", DVD="Summer 2011"),
        movie("tt9100016", "Runtime Unknown", 2004, Runtime="N/A", imdbVotes="N/A"),
        movie("tt9100017", "Box Office Mystery", 1999, BoxOffice="N/A", Metascore="N/A"),
        movie("tt9100018", "Junk in Every Number", 2008, imdbRating="8.x", imdbVotes="lots"),
    ]


def movie(movie_id: str, title: str, year: int, **fields: Any) -> Record:
    rng = random.Random(movie_id)  # noqa: S311 - reproducible filler, not security
    rating = round(rng.uniform(5.5, 9.3), 1)
    metascore = rng.randint(45, 99)
    record: Record = {
        "Title": title,
        "Year": str(year),
        "Rated": rated(rng, year),
        "Released": day(rng, year),
        "Runtime": f"{rng.randint(82, 178)} min",
        "Genre": rng.choice(("Drama", "Comedy, Drama", "Crime, Thriller", "Romance, Drama")),
        "Director": person(rng),
        "Writer": f"{person(rng)}, {person(rng)}",
        "Actors": f"{person(rng)}, {person(rng)}, {person(rng)}",
        "Plot": plot(rng),
        "Language": "English",
        "Country": "United States",
        "Awards": awards(rng),
        "Poster": poster(movie_id),
        "Ratings": [
            {"Source": "Internet Movie Database", "Value": f"{rating}/10"},
            {"Source": "Rotten Tomatoes", "Value": f"{rng.randint(40, 100)}%"},
            {"Source": "Metacritic", "Value": f"{metascore}/100"},
        ],
        "Metascore": str(metascore),
        "imdbRating": str(rating),
        "imdbVotes": f"{rng.randint(900, 2_900_000):,}",
        "imdbID": movie_id,
        "Type": "movie",
        "DVD": day(rng, max(year, 1998) + rng.randint(0, 2)),
        "BoxOffice": f"${rng.randint(50_000, 900_000_000):,}" if year >= 1980 else "N/A",
        "Production": "N/A",
        "Website": "N/A",
        "Response": "True",
    }
    record.update(fields)
    return record


def series(movie_id: str, title: str, years: str, *, seasons: int) -> Record:
    record = movie(movie_id, title, int(years[:4]), Year=years, Type="series", Rated="TV-MA")
    for name in ("DVD", "BoxOffice", "Production", "Website"):
        del record[name]
    record["Director"] = "N/A"
    record["Metascore"] = "N/A"
    record["Ratings"] = record["Ratings"][:1]
    # OMDb puts totalSeasons just before Response.
    del record["Response"]
    return {**record, "totalSeasons": str(seasons), "Response": "True"}


def episode(
    movie_id: str, title: str, year: int, of: Record, *, season: int, number: int
) -> Record:
    base = movie(movie_id, title, year, Type="episode", Rated="TV-MA", Metascore="N/A")
    ordered: Record = {}
    for name, value in base.items():
        if name in ("DVD", "BoxOffice", "Production", "Website", "Response"):
            continue
        if name == "Runtime":
            ordered |= {"Season": str(season), "Episode": str(number)}
        if name == "Type":
            ordered["seriesID"] = of["imdbID"]
        ordered[name] = value
    ordered["Ratings"] = ordered["Ratings"][:1]
    return {**ordered, "Response": "True"}


def rated(rng: random.Random, year: int) -> str:
    if year < 1968:
        return rng.choice(("Approved", "Passed", "Not Rated"))
    return rng.choice(("G", "PG", "PG-13", "R"))


def day(rng: random.Random, year: int) -> str:
    return f"{rng.randint(1, 28):02d} {rng.choice(MONTHS)} {year}"


def person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def plot(rng: random.Random) -> str:
    pronoun = rng.choice(("she", "he", "they"))
    opening = rng.choice(PLOT_OPENINGS).format(
        role=rng.choice(ROLES), place=rng.choice(PLACES), pronoun=pronoun
    )
    ending = rng.choice(PLOT_ENDINGS).format(pronoun=pronoun)
    return f"{opening} {rng.choice(PLOT_MIDDLES)} {ending[0].upper()}{ending[1:]}"


def awards(rng: random.Random) -> str:
    wins, nominations, oscars = rng.randint(2, 60), rng.randint(2, 120), rng.randint(1, 4)
    oscar_count = f"{oscars} Oscar{'s' if oscars > 1 else ''}"
    return rng.choice(
        (
            "N/A",
            f"{wins} wins & {nominations} nominations",
            f"Won {oscar_count}. {wins} wins & {nominations} nominations total",
            f"Nominated for {oscar_count}. {wins} wins & {nominations} nominations",
        )
    )


def poster(movie_id: str) -> str:
    token = hashlib.sha256(movie_id.encode()).hexdigest()[:32]
    return f"https://m.media-amazon.com/images/M/MV5B{token}._V1_SX300.jpg"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
