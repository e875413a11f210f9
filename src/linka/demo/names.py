"""Czech names, streets and towns for the demo operator (common, real-sounding, fictional people).

Surnames are given in the masculine form with their feminine form, as Czech uses both.
Towns carry a real postal code (PSČ) of that town.
"""

from __future__ import annotations

MALE_FIRST = (
    "Jiří", "Jan", "Petr", "Josef", "Pavel", "Martin", "Tomáš", "Jaroslav", "Miroslav",
    "Zdeněk", "Václav", "Michal", "František", "Jakub", "Milan", "Karel", "Lukáš", "David",
    "Vladimír", "Ondřej", "Ladislav", "Roman", "Stanislav", "Marek", "Radek", "Daniel",
    "Antonín", "Vojtěch", "Filip", "Adam", "Matěj", "Aleš", "Libor", "Dominik", "Patrik",
    "Vít", "Šimon", "Oldřich", "Vlastimil", "Bohumil",
)  # fmt: skip
FEMALE_FIRST = (
    "Jana", "Marie", "Eva", "Hana", "Anna", "Lenka", "Kateřina", "Lucie", "Věra", "Alena",
    "Petra", "Veronika", "Jaroslava", "Tereza", "Martina", "Michaela", "Jitka", "Helena",
    "Ludmila", "Zdeňka", "Ivana", "Monika", "Eliška", "Zuzana", "Markéta", "Barbora",
    "Kristýna", "Klára", "Adéla", "Natálie", "Simona", "Dagmar", "Irena", "Renata", "Pavla",
    "Šárka", "Vlasta", "Iveta", "Blanka", "Radka",
)  # fmt: skip
SURNAMES = (
    ("Novák", "Nováková"), ("Svoboda", "Svobodová"), ("Novotný", "Novotná"),
    ("Dvořák", "Dvořáková"), ("Černý", "Černá"), ("Procházka", "Procházková"),
    ("Kučera", "Kučerová"), ("Veselý", "Veselá"), ("Horák", "Horáková"),
    ("Němec", "Němcová"), ("Marek", "Marková"), ("Pospíšil", "Pospíšilová"),
    ("Pokorný", "Pokorná"), ("Hájek", "Hájková"), ("Král", "Králová"),
    ("Jelínek", "Jelínková"), ("Růžička", "Růžičková"), ("Beneš", "Benešová"),
    ("Fiala", "Fialová"), ("Sedláček", "Sedláčková"), ("Doležal", "Doležalová"),
    ("Zeman", "Zemanová"), ("Kolář", "Kolářová"), ("Navrátil", "Navrátilová"),
    ("Čermák", "Čermáková"), ("Vaněk", "Vaňková"), ("Urban", "Urbanová"),
    ("Blažek", "Blažková"), ("Kříž", "Křížová"), ("Kovář", "Kovářová"),
    ("Kratochvíl", "Kratochvílová"), ("Bartoš", "Bartošová"), ("Vlček", "Vlčková"),
    ("Polák", "Poláková"), ("Musil", "Musilová"), ("Kopecký", "Kopecká"),
    ("Šimek", "Šimková"), ("Konečný", "Konečná"), ("Malý", "Malá"),
    ("Holub", "Holubová"), ("Štěpánek", "Štěpánková"), ("Čech", "Čechová"),
    ("Staněk", "Staňková"), ("Kadlec", "Kadlecová"), ("Dostál", "Dostálová"),
    ("Soukup", "Soukupová"), ("Šťastný", "Šťastná"), ("Mareš", "Marešová"),
    ("Moravec", "Moravcová"), ("Sýkora", "Sýkorová"),
)  # fmt: skip
STREETS = (
    "Masarykova", "Husova", "Nádražní", "Palackého", "Komenského", "Havlíčkova", "Riegrova",
    "Jiráskova", "Smetanova", "Školní", "Zahradní", "Lidická", "Tyršova", "Sokolská",
    "Revoluční", "Nerudova", "Dvořákova", "Žižkova", "Polní", "Lesní", "Krátká", "Dlouhá",
    "Pražská", "Brněnská", "Vinohradská", "Karlova", "Na Příkopě", "Sadová", "Luční",
    "Jungmannova", "Mánesova", "Purkyňova", "Kollárova", "Wolkerova", "Šafaříkova",
    "U Parku", "Na Výsluní", "Nová", "Horní", "Dolní",
)  # fmt: skip
TOWNS = (
    ("Praha 1", "110 00"), ("Praha 2", "120 00"), ("Praha 3", "130 00"), ("Praha 4", "140 00"),
    ("Praha 5", "150 00"), ("Praha 6", "160 00"), ("Praha 8", "180 00"), ("Praha 10", "100 00"),
    ("Brno", "602 00"), ("Ostrava", "702 00"), ("Plzeň", "301 00"), ("Liberec", "460 01"),
    ("Olomouc", "779 00"), ("České Budějovice", "370 01"), ("Hradec Králové", "500 02"),
    ("Ústí nad Labem", "400 01"), ("Pardubice", "530 02"), ("Zlín", "760 01"),
    ("Havířov", "736 01"), ("Kladno", "272 01"), ("Most", "434 01"), ("Opava", "746 01"),
    ("Jihlava", "586 01"), ("Karviná", "733 01"), ("Teplice", "415 01"), ("Děčín", "405 02"),
    ("Chomutov", "430 01"), ("Karlovy Vary", "360 01"), ("Jablonec nad Nisou", "466 01"),
    ("Mladá Boleslav", "293 01"), ("Prostějov", "796 01"), ("Přerov", "750 02"),
    ("Třebíč", "674 01"), ("Tábor", "390 02"), ("Znojmo", "669 02"), ("Kolín", "280 02"),
    ("Příbram", "261 01"), ("Písek", "397 01"), ("Cheb", "350 02"), ("Trutnov", "541 01"),
)  # fmt: skip
COMPANY_WORDS = (
    "Stavby", "Logistika", "Technologie", "Servis", "Obchod", "Elektro", "Projekt", "Invest",
    "Agro", "Trans", "Data", "Energie", "Nábytek", "Tisk", "Strojírny", "Potraviny", "Kovo",
    "Software", "Design", "Reality",
)  # fmt: skip
LEGAL_FORMS = ("s.r.o.", "s.r.o.", "s.r.o.", "a.s.", "v.o.s.", "z.s.")
FOREIGN_COMPANIES = (  # (country, name, town, postal code)
    ("SK", "Tatra Logistik s.r.o.", "Bratislava", "811 01"),
    ("SK", "Považie Data a.s.", "Žilina", "010 01"),
    ("DE", "Elbe Handel GmbH", "Dresden", "01067"),
    ("DE", "Bayern Montage GmbH", "München", "80331"),
    ("AT", "Donau Technik GmbH", "Wien", "1010"),
    ("PL", "Wisła Serwis sp. z o.o.", "Kraków", "31-001"),
)
NON_EU_COMPANIES = (
    ("CH", "Alpen Consulting AG", "Zürich", "8001"),
    ("GB", "Thames Freight Ltd", "London", "EC1A 1BB"),
    ("US", "Prairie Networks Inc.", "Chicago", "60601"),
)
