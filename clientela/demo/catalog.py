"""What the demo business draws from: Mexican names, business names, CDMX streets and colonias.

Plain data, no randomness: the generator picks from these lists with its seeded
random source. Every business name is made up; colonias, postal codes and streets
are real places in Mexico City and its metropolitan area.
"""

from dataclasses import dataclass

BAKERY_NAME = "Panadería La Espiga"
BAKERY_EMAIL_DOMAIN = "laespiga.example"

FEMALE_NAMES = (
    "María Guadalupe", "Guadalupe", "María José", "Ana", "Ana Laura", "Sofía", "Valeria",
    "Fernanda", "Daniela", "Mariana", "Gabriela", "Alejandra", "Verónica", "Patricia",
    "Rosa María", "Leticia", "Adriana", "Claudia", "Mónica", "Silvia", "Teresa", "Carmen",
    "Elena", "Laura", "Lucía", "Ximena", "Regina", "Paola", "Andrea", "Karla", "Itzel",
    "Citlali", "Xóchitl", "Dolores", "Margarita", "Rosario", "Concepción", "Beatriz",
    "Norma", "Josefina", "Diana", "Carolina", "Natalia", "Renata", "Camila", "Mercedes",
    "Soledad", "Yolanda", "Araceli", "Marisol",
)  # fmt: skip
MALE_NAMES = (
    "José Luis", "Juan Carlos", "Luis Miguel", "Miguel Ángel", "Jesús", "Francisco",
    "Alejandro", "Roberto", "Jorge", "Ricardo", "Eduardo", "Fernando", "Sergio", "Arturo",
    "Javier", "Raúl", "Manuel", "Antonio", "Pedro", "Héctor", "Óscar", "Enrique",
    "Guillermo", "Ignacio", "Alberto", "Rafael", "Daniel", "Diego", "Emiliano", "Santiago",
    "Mateo", "Leonardo", "Iván", "Rodrigo", "Gerardo", "Armando", "Salvador", "Ernesto",
    "Octavio", "Andrés", "Tomás", "Joaquín", "Cuauhtémoc", "Alfonso", "Hugo", "José",
)  # fmt: skip
SURNAMES = (
    "Hernández", "García", "Martínez", "López", "González", "Pérez", "Rodríguez", "Sánchez",
    "Ramírez", "Cruz", "Flores", "Gómez", "Morales", "Vázquez", "Jiménez", "Reyes", "Díaz",
    "Torres", "Gutiérrez", "Ruiz", "Mendoza", "Aguilar", "Ortiz", "Moreno", "Castillo",
    "Romero", "Álvarez", "Méndez", "Chávez", "Rivera", "Juárez", "Ramos", "Domínguez",
    "Herrera", "Medina", "Castro", "Vargas", "Guzmán", "Velázquez", "Muñoz", "Rojas",
    "Salazar", "Contreras", "Luna", "Ortega", "Guerrero", "Estrada", "Bautista", "Cortés",
    "Soto", "Alvarado", "Espinoza", "Lara", "Ávila", "Ríos", "Cervantes", "Silva", "Delgado",
    "Vega", "Márquez", "Sandoval", "Fuentes", "Carrillo", "León", "Ayala", "Pacheco", "Mejía",
    "Navarro", "Campos", "Escobar", "Nava", "Peña", "Rosas", "Trejo", "Zúñiga", "de la Cruz",
    "Olvera", "Ibarra", "Villanueva", "Quiroz", "Galindo", "Cuevas", "Tapia", "Pineda",
)  # fmt: skip
# How people are called by those who know them; used for the same person typed twice.
NICKNAMES = {
    "María Guadalupe": "Lupita", "Guadalupe": "Lupita", "José Luis": "Pepe", "José": "Pepe",
    "Francisco": "Paco", "Jesús": "Chuy", "Ignacio": "Nacho", "Alejandro": "Álex",
    "Roberto": "Beto", "Alberto": "Beto", "Guillermo": "Memo", "Eduardo": "Lalo",
    "Enrique": "Quique", "Concepción": "Conchita", "Rosario": "Chayo", "Mercedes": "Meche",
    "Dolores": "Lola", "Soledad": "Chole", "Margarita": "Magos", "Salvador": "Chava",
    "Alejandra": "Ale", "Fernanda": "Fer", "Gabriela": "Gaby", "Daniela": "Dani",
    "Josefina": "Pina", "Antonio": "Toño", "Armando": "Mando", "Santiago": "Santi",
}  # fmt: skip
# Foreign customers (hotel managers, neighbours in Roma and Condesa) who prefer English.
FOREIGN_PEOPLE = (
    ("Emily", "Carter"), ("James", "O'Neill"), ("Hannah", "Schmidt"), ("Lucas", "Moreau"),
    ("Olivia", "Bennett"), ("Noah", "Fischer"), ("Chloe", "Dubois"), ("Ethan", "Walsh"),
)  # fmt: skip
RUSSIAN_PEOPLE = (("Anastasia", "Volkova"), ("Dmitri", "Sokolov"), ("Irina", "Morozova"))


@dataclass(frozen=True)
class Colonia:
    """A neighbourhood with its postal code and a few of its real streets."""

    name: str
    postal_code: str
    streets: tuple[str, ...]
    city: str = "Ciudad de México"
    region: str = "CDMX"


COLONIAS = {
    "roma_norte": Colonia("Roma Norte", "06700", (
        "Av. Álvaro Obregón", "Colima", "Córdoba", "Orizaba", "Tabasco", "Durango", "Puebla",
        "Mérida", "Tonalá", "Jalapa", "Zacatecas", "Medellín", "Chihuahua")),
    "roma_sur": Colonia("Roma Sur", "06760", (
        "Manzanillo", "Tepeji", "Linares", "Bajío", "Chilpancingo", "Coahuila", "Campeche")),
    "condesa": Colonia("Condesa", "06140", (
        "Av. Ámsterdam", "Michoacán", "Tamaulipas", "Vicente Suárez", "Atlixco", "Mazatlán",
        "Ozuluama", "Juan Escutia")),
    "hipodromo": Colonia("Hipódromo", "06100", (
        "Av. México", "Sonora", "Parras", "Cacahuamilpa", "Chilpancingo", "Iztaccíhuatl")),
    "juarez": Colonia("Juárez", "06600", (
        "Havre", "Hamburgo", "Londres", "Liverpool", "Marsella", "Versalles", "Dinamarca",
        "Lucerna")),
    "cuauhtemoc": Colonia("Cuauhtémoc", "06500", (
        "Río Lerma", "Río Sena", "Río Pánuco", "Río Tíber", "Río Danubio", "Río Guadalquivir")),
    "centro": Colonia("Centro", "06000", (
        "5 de Mayo", "Madero", "Bolívar", "Isabel la Católica", "Regina", "Mesones",
        "República de Uruguay", "Donceles", "Tacuba", "República de Chile")),
    "santa_maria": Colonia("Santa María la Ribera", "06400", (
        "Dr. Atl", "Sabino", "Naranjo", "Jaime Torres Bodet", "Salvador Díaz Mirón", "Fresno",
        "Eligio Ancona")),
    "san_rafael": Colonia("San Rafael", "06470", (
        "Sadi Carnot", "Serapio Rendón", "Miguel E. Schultz", "Rosas Moreno", "Gabino Barreda")),
    "tabacalera": Colonia("Tabacalera", "06030", (
        "Edison", "Ignacio Ramírez", "Gómez Farías", "Mariscal", "Vallarta")),
    "doctores": Colonia("Doctores", "06720", (
        "Dr. Vértiz", "Dr. Lavista", "Dr. Río de la Loza", "Dr. Balmis", "Dr. Liceaga")),
    "obrera": Colonia("Obrera", "06800", (
        "Isabel la Católica", "Bolívar", "Lucas Alamán", "Fernando Ramírez", "Manuel Payno")),
    "del_valle": Colonia("Del Valle Centro", "03100", (
        "Av. Coyoacán", "Gabriel Mancera", "Pilares", "Amores", "Adolfo Prieto", "Pestalozzi",
        "Uxmal", "Av. Félix Cuevas")),
    "narvarte": Colonia("Narvarte Poniente", "03020", (
        "Eugenia", "Anaxágoras", "Diagonal San Antonio", "Luz Saviñón", "Pitágoras",
        "Concepción Béistegui", "Av. Xola")),
    "portales": Colonia("Portales Sur", "03300", (
        "Odesa", "Miravalle", "Necaxa", "Independencia", "Victoria", "Av. Santa Cruz")),
    "alamos": Colonia("Álamos", "03400", (
        "Bélgica", "Andalucía", "Castilla", "Galicia", "Navarra", "Lago Pátzcuaro")),
    "napoles": Colonia("Nápoles", "03810", (
        "Filadelfia", "Pensilvania", "Nebraska", "Dakota", "Kansas", "Indiana", "Alabama")),
    "mixcoac": Colonia("Mixcoac", "03910", (
        "Campana", "Augusto Rodin", "Goya", "Holbein", "Molinos", "Revolución")),
    "coyoacan": Colonia("Villa Coyoacán", "04000", (
        "Francisco Sosa", "Higuera", "Allende", "Felipe Carrillo Puerto", "Aguayo", "Malintzin",
        "Centenario", "Caballocalco")),
    "del_carmen": Colonia("Del Carmen", "04100", (
        "Xicoténcatl", "Abasolo", "Presidente Carranza", "Tres Cruces", "Viena", "Londres")),
    "san_angel": Colonia("San Ángel", "01000", (
        "Av. de la Paz", "Madero", "Frontera", "Reyna", "Amargura", "Hidalgo")),
    "polanco": Colonia("Polanco V Sección", "11560", (
        "Av. Presidente Masaryk", "Julio Verne", "Anatole France", "Alejandro Dumas",
        "Emilio Castelar", "Oscar Wilde", "Lope de Vega")),
    "anzures": Colonia("Anzures", "11590", (
        "Leibnitz", "Gutenberg", "Darwin", "Copérnico", "Kepler", "Shakespeare")),
    "escandon": Colonia("Escandón", "11800", (
        "Agricultura", "Progreso", "José Martí", "Comercio", "Pedro Luis Ogazón")),
    "san_miguel": Colonia("San Miguel Chapultepec", "11850", (
        "Gral. Gómez Pedraza", "Gobernador Protasio Tagle", "Gral. Juan Cano", "Gral. Francisco Murguía")),
    "lindavista": Colonia("Lindavista", "07300", (
        "Av. Montevideo", "Riobamba", "Buenavista", "Callao", "Sierravista", "Salvatierra")),
    "tlalpan": Colonia("Tlalpan Centro", "14000", (
        "Madero", "Juárez", "Moneda", "Allende", "Hidalgo", "Guadalupe Victoria")),
    "granjas": Colonia("Granjas México", "08400", (
        "Av. Té", "Oriente 116", "Sur 113", "Canela", "Añil")),
    "abasto": Colonia("Central de Abasto", "09040", (
        "Pasillo 1 Bodega", "Pasillo 3 Bodega", "Pasillo 5 Bodega", "Eje 6 Sur")),
    "satelite": Colonia("Ciudad Satélite", "53100", (
        "Circuito Novelistas", "Circuito Economistas", "Circuito Educadores",
        "Circuito Misioneros"), city="Naucalpan de Juárez", region="Estado de México"),
    "tlalnepantla": Colonia("Tlalnepantla Centro", "54000", (
        "Av. Hidalgo", "Riva Palacio", "Plaza Dr. Gustavo Baz", "Morelos"),
        city="Tlalnepantla de Baz", region="Estado de México"),
}  # fmt: skip
# Where each kind of customer tends to be, as (colonia key, weight).
_HOMES = (
    ("roma_norte", 5), ("roma_sur", 4), ("condesa", 4), ("hipodromo", 2), ("juarez", 2),
    ("cuauhtemoc", 2), ("centro", 3), ("santa_maria", 4), ("san_rafael", 3), ("doctores", 3),
    ("obrera", 3), ("del_valle", 5), ("narvarte", 5), ("portales", 4), ("alamos", 3),
    ("napoles", 3), ("mixcoac", 3), ("coyoacan", 3), ("del_carmen", 3), ("san_angel", 1),
    ("polanco", 1), ("anzures", 2), ("escandon", 3), ("san_miguel", 2), ("lindavista", 2),
    ("tlalpan", 2), ("satelite", 1),
)  # fmt: skip
_TRENDY = (
    ("roma_norte", 6), ("roma_sur", 3), ("condesa", 6), ("hipodromo", 3), ("juarez", 4),
    ("cuauhtemoc", 2), ("centro", 3), ("del_valle", 3), ("narvarte", 2), ("napoles", 2),
    ("coyoacan", 4), ("san_angel", 2), ("polanco", 4), ("anzures", 2), ("escandon", 2),
    ("san_miguel", 2), ("santa_maria", 2), ("tlalpan", 1),
)  # fmt: skip
_HOTELS = (
    ("centro", 5), ("juarez", 4), ("cuauhtemoc", 3), ("tabacalera", 3), ("polanco", 3),
    ("roma_norte", 2), ("condesa", 2), ("san_rafael", 2), ("anzures", 2), ("coyoacan", 1),
)  # fmt: skip
_WHOLESALE = (
    ("abasto", 6), ("granjas", 3), ("tlalnepantla", 2), ("satelite", 1), ("obrera", 1),
    ("doctores", 1), ("portales", 1),
)  # fmt: skip


@dataclass(frozen=True)
class Segment:
    """A kind of customer of the bakery and how such customers usually look."""

    key: str
    weight: int  # share of the catalog
    kind: str  # "business" or "person"
    name_patterns: tuple[str, ...]
    tags: tuple[str, ...]  # always given
    optional_tags: tuple[tuple[str, float], ...]  # (tag, probability)
    sources: tuple[tuple[str, int], ...]
    places: tuple[tuple[str, int], ...]
    company_share: float  # how many invoice as a company (S.A. de C.V.)
    invoice_share: float  # how many give a tax id at all
    contact_roles: tuple[str, ...] = ()  # "masculine|feminine" when the word changes
    contact_share: float = 0.0
    address_labels: tuple[str, ...] = ("Entrega",)
    notes: tuple[str, ...] = ()


SEGMENTS = (
    Segment(
        "shop", 27, "business",
        ("Abarrotes {surname}", "Abarrotes Don {male}", "Abarrotes Doña {female}",
         "Miscelánea {fancy}", "Tienda {fancy}", "Minisúper {fancy}", "Abarrotes {fancy}",
         "Cremería {fancy}"),
        ("tienda",), (("pedido diario", 0.4), ("crédito", 0.15)),
        (("walk_in", 30), ("directory", 15), ("phone", 20), ("social", 5), ("other", 5)),
        _HOMES, company_share=0.05, invoice_share=0.5,
        contact_roles=("Dueño|Dueña", "Encargado|Encargada"), contact_share=0.3,
        address_labels=("Tienda",),
        notes=("Recibe el pan a las 6:30; cierra los domingos.",
               "Paga en efectivo contra entrega.", "Pide bolillo y telera todos los días.",
               "Devuelve el pan duro los lunes; acordado con el repartidor.")),
    Segment(
        "cafe", 16, "business",
        ("Café {cafe}", "Cafetería {cafe}", "{cafe} Café", "Café de {cafe}"),
        ("cafetería",), (("pedido semanal", 0.5), ("sin gluten", 0.1), ("VIP", 0.08)),
        (("social", 25), ("event", 20), ("walk_in", 20), ("web", 15), ("directory", 10)),
        _TRENDY, company_share=0.35, invoice_share=0.8,
        contact_roles=("Dueño|Dueña", "Gerente", "Barista encargado|Barista encargada"),
        contact_share=0.5,
        address_labels=("Cafetería", "Entrega"),
        notes=("Croissants y conchas para las 7:00.", "Quiere probar el pan de masa madre.",
               "Factura mensual; paga por transferencia.")),
    Segment(
        "restaurant", 14, "business",
        ("Restaurante {dish}", "Fonda Doña {female}", "Fonda {dish}", "Cocina Económica {dish}",
         "Taquería {dish}", "Bistró {dish}", "Cantina {dish}", "Comedor {dish}",
         "Tortas {dish}", "La Cocina de {female}"),
        ("restaurante",), (("pedido diario", 0.3), ("crédito", 0.2), ("VIP", 0.1)),
        (("directory", 25), ("event", 20), ("phone", 15), ("web", 15), ("social", 10)),
        _HOMES, company_share=0.45, invoice_share=0.85,
        contact_roles=("Chef ejecutivo|Chef ejecutiva", "Jefe de cocina|Jefa de cocina", "Gerente",
                       "Encargado de compras|Encargada de compras"),
        contact_share=0.7, address_labels=("Cocina", "Entrega", "Restaurante"),
        notes=("Pan para hamburguesa y telera para tortas.", "Entrega por la puerta de servicio.",
               "Pedido grande los viernes.")),
    Segment(
        "hotel", 4, "business",
        ("Hotel {hotel}", "Hostal {hotel}", "Hotel Boutique {hotel}", "Casa {hotel}"),
        ("hotel",), (("VIP", 0.5), ("crédito", 0.5), ("pedido diario", 0.6)),
        (("directory", 40), ("web", 30), ("event", 20), ("phone", 10)),
        _HOTELS, company_share=1.0, invoice_share=1.0,
        contact_roles=("Gerente de alimentos y bebidas", "Chef ejecutivo|Chef ejecutiva",
                       "Compras"),
        contact_share=1.0, address_labels=("Cocina", "Andén de carga"),
        notes=("Desayuno buffet: 200 piezas diarias.", "Pago a 30 días.",
               "Requiere orden de compra antes de facturar.")),
    Segment(
        "distributor", 5, "business",
        ("Distribuidora {region}", "Comercializadora {region}", "Abastecedora {region}",
         "Proveedora {region}", "Distribuidora Hermanos {surname}"),
        ("mayorista",), (("crédito", 0.7), ("VIP", 0.3)),
        (("event", 40), ("directory", 40), ("phone", 20)),
        _WHOLESALE, company_share=1.0, invoice_share=1.0,
        contact_roles=("Compras", "Ejecutivo de cuenta|Ejecutiva de cuenta", "Gerente comercial"),
        contact_share=1.0, address_labels=("Bodega", "Andén"),
        notes=("Pedido mínimo: 50 paquetes.", "Pago a 15 días; descuento por volumen.",
               "Recoge en la panadería los martes.")),
    Segment(
        "company", 6, "business",
        ("Eventos {fancy}", "Banquetes {dish}", "Colegio {school}", "Consultores {region}",
         "Despacho {surname} y Asociados", "Agencia {cafe}"),
        ("evento",), (("pasteles por encargo", 0.4), ("VIP", 0.1)),
        (("web", 50), ("event", 30), ("phone", 20)),
        _HOMES, company_share=0.9, invoice_share=0.95,
        contact_roles=("Asistente de dirección", "Recursos humanos",
                       "Coordinador de eventos|Coordinadora de eventos"),
        contact_share=1.0, address_labels=("Oficina", "Salón"),
        notes=("Coffee break mensual para 40 personas.", "Roscas de Reyes en enero.",
               "Quiere cotización para posadas.")),
    Segment(
        "person", 28, "person",
        (), (), (("pasteles por encargo", 0.25), ("evento", 0.1), ("sin gluten", 0.05)),
        (("walk_in", 55), ("social", 20), ("web", 10), ("event", 15)),
        _HOMES, company_share=0.0, invoice_share=0.3,
        address_labels=("Casa", "Oficina", "Depto."),
        notes=("Encarga pastel de tres leches para cumpleaños.", "Prefiere pan integral.",
               "Pide rosca de Reyes cada año.", "Alergia a la nuez: nada con nuez.")),
)  # fmt: skip

FANCY = (
    "La Esperanza", "El Güero", "La Guadalupana", "San Judas", "La Económica", "El Sol",
    "La Pasadita", "Los Tres Hermanos", "La Bendición", "El Porvenir", "La Norteñita",
    "Lupita", "La Esquinita", "El Triunfo", "La Providencia", "La Michoacana", "El Paraíso",
    "La Victoria", "Las Palmas", "El Oasis", "La Estrella", "El Rosario", "La Poblanita",
    "La Fe", "El Buen Precio", "Las Dos Rosas", "La Lomita", "El Ahorro", "La Paz",
    "Los Ángeles", "Santa Cecilia", "La Joya", "El Centenario", "Don Chucho", "La Flor",
)  # fmt: skip
CAFE = (
    "La Molienda", "El Grano", "Tostado", "Altura", "Cafeína", "El Cafecito", "Las Tazas",
    "La Tertulia", "El Portal", "Origen", "Coatepec", "Pluma", "El Buen Café", "Jacaranda",
    "Colibrí", "Nube", "Barrio", "Azahar", "La Esquina", "Mixtli", "Tlali", "Huerta",
    "Lavanda", "La Terraza", "El Andén", "Bohemia", "La Ventana", "Quinta", "Cardamomo",
    "Tres Lunas", "La Libreta", "Cacao", "Nogal", "Piloncillo", "Canela", "Marfil",
    "El Mostrador", "La Mesa Larga", "Almendro", "Ceiba",
)  # fmt: skip
DISH = (
    "El Fogón", "La Cazuela", "El Comal", "Los Arcos", "El Patio", "El Rincón",
    "La Parroquia", "El Mezquite", "Los Portales", "La Hacienda", "El Jardín", "La Palapa",
    "El Molcajete", "La Olla", "El Tlecuil", "La Trajinera", "Mar y Tierra", "El Mirador",
    "El Nopal", "Las Cazuelas", "La Milpa", "Tres Cocinas", "El Metate", "La Tlayuda",
    "El Huarache", "Los Compadres", "La Sazón", "El Sabor de Casa", "La Fogata", "El Azafrán",
)  # fmt: skip
HOTEL = (
    "Alameda", "Insurgentes", "del Ángel", "Córdoba", "Bucareli", "Revolución", "Jacarandas",
    "Zócalo Colonial", "Condesa Suites", "Roma Suites", "Mónaco", "Imperial", "Virreyes",
    "Colonial", "Galería", "Parque Hundido", "Reforma Plaza", "Vizcaínas", "Tolsá", "Regina",
)  # fmt: skip
REGION = (
    "Alimentaria del Valle", "Mexicana de Abarrotes", "del Centro", "Los Volcanes", "Azteca",
    "Anáhuac", "del Bajío", "Tenochtitlan", "Metropolitana", "Xochimilco", "Tepeyac",
    "Panificadora del Sur", "Integral de Alimentos", "del Golfo", "Mexiquense",
)  # fmt: skip
SCHOOL = (
    "Montessori Nogal", "Bilingüe Jacarandas", "Vasconcelos", "Sor Juana", "Miguel Hidalgo",
    "Tonatiuh", "Patria", "Marie Curie",
)  # fmt: skip
# How companies' legal names are built from the trade name; {name} is the trade name.
COMPANY_LEGAL_FORMS = (
    ("{name}, S.A. de C.V.", 6),
    ("{name}, S. de R.L. de C.V.", 2),
    ("Grupo {name}, S.A. de C.V.", 1),
    ("Operadora {name}, S.A.P.I. de C.V.", 1),
)  # fmt: skip
BUSINESS_MAIL_BOXES = ("pedidos", "contacto", "compras", "hola", "administracion", "facturacion")
# Reserved (RFC 2606) domains: the demo's addresses look real but can never reach anyone.
PERSONAL_MAIL_DOMAINS = (
    ("correo.example", 5), ("mail.example", 3), ("buzon.example", 2), ("email.example", 1),
)  # fmt: skip
DELIVERY_NOTES = (
    "Entregar antes de las 7:00.", "Tocar el timbre de la cortina.",
    "Recibe el encargado de cocina.", "Acceso por la calle lateral.",
    "Dejar en recepción con el guardia.", "No hay estacionamiento; bajar rápido.",
    "Llamar al llegar.", "Horario de recepción de 6:00 a 9:00.",
)  # fmt: skip
INTERIORS = ("Local A", "Local B", "Local 3", "Int. 2", "Int. 4", "Depto. 101", "Depto. 402")
# Where people who buy from the bakery were born, as RENAPO state codes (CURP).
BIRTH_STATES = (("DF", 14), ("MC", 3), ("PL", 2), ("VZ", 2), ("OC", 1), ("GR", 1), ("HG", 1))
