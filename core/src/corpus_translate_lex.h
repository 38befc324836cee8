/* corpus_translate_lex.h — the lexicon of the translate task (included once, by
 * corpus_translate.c). NULL forms are derived by the regular rules in corpus_translate.c.
 * French nouns, verbs and pre-nominal adjectives start with a consonant (no h), so only
 * the elision rules of corpus_translate.c are needed (no l'homme, cet, nouvel). */
#ifndef ATTNSTEP_CORPUS_TRANSLATE_LEX_H
#define ATTNSTEP_CORPUS_TRANSLATE_LEX_H

typedef struct Noun {
    const char *en, *en_pl;
    const char *fr, *fr_pl;
    char fr_g;
    const char *es, *es_pl;
    char es_g;
} Noun;

static const Noun NOUNS[] = {
    {"area", 0, "zone", 0, 'f', "zona", 0, 'f'},
    {"treaty", 0, "traité", 0, 'm', "tratado", 0, 'm'},
    {"contract", 0, "contrat", 0, 'm', "contrato", 0, 'm'},
    {"law", 0, "loi", 0, 'f', "ley", 0, 'f'},
    {"commission", 0, "commission", 0, 'f', "comisión", "comisiones", 'f'},
    {"minister", 0, "ministre", 0, 'm', "ministro", 0, 'm'},
    {"government", 0, "gouvernement", 0, 'm', "gobierno", 0, 'm'},
    {"country", 0, "pays", 0, 'm', "país", "países", 'm'},
    {"city", 0, "ville", 0, 'f', "ciudad", 0, 'f'},
    {"car", 0, "voiture", 0, 'f', "coche", 0, 'm'},
    {"house", 0, "maison", 0, 'f', "casa", 0, 'f'},
    {"woman", "women", "femme", 0, 'f', "mujer", 0, 'f'},
    {"boy", 0, "garçon", 0, 'm', "chico", 0, 'm'},
    {"girl", 0, "fille", 0, 'f', "chica", 0, 'f'},
    {"dog", 0, "chien", 0, 'm', "perro", 0, 'm'},
    {"cat", 0, "chat", 0, 'm', "gato", 0, 'm'},
    {"book", 0, "livre", 0, 'm', "libro", 0, 'm'},
    {"letter", 0, "lettre", 0, 'f', "carta", 0, 'f'},
    {"table", 0, "table", 0, 'f', "mesa", 0, 'f'},
    {"chair", 0, "chaise", 0, 'f', "silla", 0, 'f'},
    {"bank", 0, "banque", 0, 'f', "banco", 0, 'm'},
    {"market", 0, "marché", 0, 'm', "mercado", 0, 'm'},
    {"company", 0, "société", 0, 'f', "empresa", 0, 'f'},
    {"worker", 0, "travailleur", 0, 'm', "trabajador", 0, 'm'},
    {"teacher", 0, "professeur", 0, 'm', "profesor", 0, 'm'},
    {"doctor", 0, "médecin", 0, 'm', "médico", 0, 'm'},
    {"king", 0, "roi", 0, 'm', "rey", 0, 'm'},
    {"queen", 0, "reine", 0, 'f', "reina", 0, 'f'},
    {"river", 0, "rivière", 0, 'f', "río", 0, 'm'},
    {"mountain", 0, "montagne", 0, 'f', "montaña", 0, 'f'},
    {"sea", 0, "mer", 0, 'f', "mar", 0, 'm'},
    {"flower", 0, "fleur", 0, 'f', "flor", 0, 'f'},
    {"apple", 0, "pomme", 0, 'f', "manzana", 0, 'f'},
    {"bread", 0, "pain", 0, 'm', "pan", 0, 'm'},
    {"cheese", 0, "fromage", 0, 'm', "queso", 0, 'm'},
    {"wine", 0, "vin", 0, 'm', "vino", 0, 'm'},
    {"key", 0, "clé", 0, 'f', "llave", 0, 'f'},
    {"door", 0, "porte", 0, 'f', "puerta", 0, 'f'},
    {"window", 0, "fenêtre", 0, 'f', "ventana", 0, 'f'},
    {"box", 0, "boîte", 0, 'f', "caja", 0, 'f'},
    {"road", 0, "route", 0, 'f', "carretera", 0, 'f'},
    {"bridge", 0, "pont", 0, 'm', "puente", 0, 'm'},
    {"garden", 0, "jardin", 0, 'm', "jardín", "jardines", 'm'},
    {"newspaper", 0, "journal", 0, 'm', "periódico", 0, 'm'},
    {"report", 0, "rapport", 0, 'm', "informe", 0, 'm'},
    {"price", 0, "prix", 0, 'm', "precio", 0, 'm'},
    {"plan", 0, "plan", 0, 'm', "plan", 0, 'm'},
    {"project", 0, "projet", 0, 'm', "proyecto", 0, 'm'},
    {"budget", 0, "budget", 0, 'm', "presupuesto", 0, 'm'},
    {"president", 0, "président", 0, 'm', "presidente", 0, 'm'},
    {"council", 0, "conseil", 0, 'm', "consejo", 0, 'm'},
    {"parliament", 0, "parlement", 0, 'm', "parlamento", 0, 'm'},
    {"committee", 0, "comité", 0, 'm', "comité", "comités", 'm'},
    {"member", 0, "membre", 0, 'm', "miembro", 0, 'm'},
    {"citizen", 0, "citoyen", 0, 'm', "ciudadano", 0, 'm'},
    {"farmer", 0, "fermier", 0, 'm', "granjero", 0, 'm'},
    {"policy", 0, "politique", 0, 'f', "política", 0, 'f'},
    {"system", 0, "système", 0, 'm', "sistema", 0, 'm'},
    {"program", 0, "programme", 0, 'm', "programa", 0, 'm'},
    {"decision", 0, "décision", 0, 'f', "decisión", "decisiones", 'f'},
    {"question", 0, "question", 0, 'f', "pregunta", 0, 'f'},
    {"problem", 0, "problème", 0, 'm', "problema", 0, 'm'},
    {"solution", 0, "solution", 0, 'f', "solución", "soluciones", 'f'},
    {"region", 0, "région", 0, 'f', "región", "regiones", 'f'},
    {"village", 0, "village", 0, 'm', "pueblo", 0, 'm'},
    {"street", 0, "rue", 0, 'f', "calle", 0, 'f'},
    {"station", 0, "gare", 0, 'f', "estación", "estaciones", 'f'},
    {"train", 0, "train", 0, 'm', "tren", 0, 'm'},
    {"ship", 0, "bateau", 0, 'm', "barco", 0, 'm'},
    {"horse", 0, "cheval", 0, 'm', "caballo", 0, 'm'},
    {"cow", 0, "vache", 0, 'f', "vaca", 0, 'f'},
    {"shop", 0, "magasin", 0, 'm', "tienda", 0, 'f'},
    {"restaurant", 0, "restaurant", 0, 'm', "restaurante", 0, 'm'},
    {"kitchen", 0, "cuisine", 0, 'f', "cocina", 0, 'f'},
    {"room", 0, "chambre", 0, 'f', "habitación", "habitaciones", 'f'},
    {"bed", 0, "lit", 0, 'm', "cama", 0, 'f'},
    {"shirt", 0, "chemise", 0, 'f', "camisa", 0, 'f'},
    {"hat", 0, "chapeau", 0, 'm', "sombrero", 0, 'm'},
    {"shoe", 0, "chaussure", 0, 'f', "zapato", 0, 'm'},
    {"song", 0, "chanson", 0, 'f', "canción", "canciones", 'f'},
    {"film", 0, "film", 0, 'm', "película", 0, 'f'},
    {"picture", 0, "tableau", 0, 'm', "cuadro", 0, 'm'},
    {"ball", 0, "balle", 0, 'f', "pelota", 0, 'f'},
    {"game", 0, "jeu", 0, 'm', "juego", 0, 'm'},
    {"language", 0, "langue", 0, 'f', "lengua", 0, 'f'},
    {"word", 0, "mot", 0, 'm', "palabra", 0, 'f'},
    {"sentence", 0, "phrase", 0, 'f', "frase", 0, 'f'},
    {"page", 0, "page", 0, 'f', "página", 0, 'f'},
    {"map", 0, "carte", 0, 'f', "mapa", 0, 'm'},
    {"phone", 0, "téléphone", 0, 'm', "teléfono", 0, 'm'},
    {"machine", 0, "machine", 0, 'f', "máquina", 0, 'f'},
    {"war", 0, "guerre", 0, 'f', "guerra", 0, 'f'},
    {"night", 0, "nuit", 0, 'f', "noche", 0, 'f'},
    {"week", 0, "semaine", 0, 'f', "semana", 0, 'f'},
    {"month", 0, "mois", 0, 'm', "mes", 0, 'm'},
    {"neighbour", 0, "voisin", 0, 'm', "vecino", 0, 'm'},
    {"judge", 0, "juge", 0, 'm', "juez", "jueces", 'm'},
    {"soldier", 0, "soldat", 0, 'm', "soldado", 0, 'm'},
    {"singer", 0, "chanteur", 0, 'm', "cantante", 0, 'm'},
    {"painter", 0, "peintre", 0, 'm', "pintor", 0, 'm'},
    {"leader", 0, "dirigeant", 0, 'm', "líder", 0, 'm'},
    {"capital", 0, "capitale", 0, 'f', "capital", 0, 'f'},
    {"border", 0, "frontière", 0, 'f', "frontera", 0, 'f'},
    {"coast", 0, "côte", 0, 'f', "costa", 0, 'f'},
    {"forest", 0, "forêt", 0, 'f', "bosque", 0, 'm'},
    {"field", 0, "champ", 0, 'm', "campo", 0, 'm'},
    {"wall", 0, "mur", 0, 'm', "muro", 0, 'm'},
    {"roof", 0, "toit", 0, 'm', "techo", 0, 'm'},
    {"cake", 0, "gâteau", 0, 'm', "pastel", 0, 'm'},
    {"soup", 0, "soupe", 0, 'f', "sopa", 0, 'f'},
    {"meal", 0, "repas", 0, 'm', "comida", 0, 'f'},
    {"milk", 0, "lait", 0, 'm', "leche", 0, 'f'},
    {"coffee", 0, "café", 0, 'm', "café", "cafés", 'm'},
    {"bottle", 0, "bouteille", 0, 'f', "botella", 0, 'f'},
    {"glass", 0, "verre", 0, 'm', "vaso", 0, 'm'},
    {"cup", 0, "tasse", 0, 'f', "taza", 0, 'f'},
    {"dish", 0, "plat", 0, 'm', "plato", 0, 'm'},
    {"knife", "knives", "couteau", 0, 'm', "cuchillo", 0, 'm'},
    {"pen", 0, "stylo", 0, 'm', "bolígrafo", 0, 'm'},
    {"paper", 0, "papier", 0, 'm', "papel", 0, 'm'},
    {"bag", 0, "sac", 0, 'm', "bolsa", 0, 'f'},
    {"gift", 0, "cadeau", 0, 'm', "regalo", 0, 'm'},
    {"tale", 0, "conte", 0, 'm', "cuento", 0, 'm'},
    {"rule", 0, "règle", 0, 'f', "regla", 0, 'f'},
    {"tax", 0, "taxe", 0, 'f', "impuesto", 0, 'm'},
    {"vote", 0, "vote", 0, 'm', "voto", 0, 'm'},
    {"debate", 0, "débat", 0, 'm', "debate", 0, 'm'},
    {"meeting", 0, "réunion", 0, 'f', "reunión", "reuniones", 'f'},
    {"summit", 0, "sommet", 0, 'm', "cumbre", 0, 'f'},
    {"crisis", "crises", "crise", 0, 'f', "crisis", "crisis", 'f'},
    {"loan", 0, "prêt", 0, 'm', "préstamo", 0, 'm'},
    {"debt", 0, "dette", 0, 'f', "deuda", 0, 'f'},
    {"salary", 0, "salaire", 0, 'm', "salario", 0, 'm'},
    {"trade", 0, "commerce", 0, 'm', "comercio", 0, 'm'},
    {"office", 0, "bureau", 0, 'm', "oficina", 0, 'f'},
    {"party", 0, "parti", 0, 'm', "partido", 0, 'm'},
    {"court", 0, "tribunal", 0, 'm', "tribunal", 0, 'm'},
    {"nation", 0, "nation", 0, 'f', "nación", "naciones", 'f'},
    {"port", 0, "port", 0, 'm', "puerto", 0, 'm'},
    {"farm", 0, "ferme", 0, 'f', "granja", 0, 'f'},
    {"sister", 0, "sœur", 0, 'f', "hermana", 0, 'f'},
    {"brother", 0, "frère", 0, 'm', "hermano", 0, 'm'},
    {"mother", 0, "mère", 0, 'f', "madre", 0, 'f'},
    {"father", 0, "père", 0, 'm', "padre", 0, 'm'},
};
#define N_NOUNS ((int)(sizeof NOUNS / sizeof NOUNS[0]))

/* English adjective order classes: the generator orders two adjectives by class
 * (opinion < size/quality < age < colour < origin < type), as English does. */
enum { AC_OPINION, AC_QUALITY, AC_AGE, AC_COLOUR, AC_ORIGIN, AC_TYPE };

typedef struct Adj {
    const char *en;
    const char *fr[4]; /* m sg, f sg, m pl, f pl */
    const char *es[4];
    int cls;
    unsigned char fr_pre, es_pre; /* placed before the noun */
    const char *es_apoc;          /* Spanish pre-nominal masculine singular (buen, gran) */
    unsigned char es_apoc_fem;    /* the apocope is used for the feminine singular too (gran) */
} Adj;

static const Adj ADJS[] = {
    {"good", {"bon", "bonne", "bons", "bonnes"}, {"bueno", 0, 0, 0}, AC_OPINION, 1, 1, "buen", 0},
    {"bad", {"mauvais", 0, 0, 0}, {"malo", 0, 0, 0}, AC_OPINION, 1, 0, 0, 0},
    {"important", {"important", 0, 0, 0}, {"importante", 0, 0, 0}, AC_OPINION, 0, 0, 0, 0},
    {"difficult", {"difficile", 0, 0, 0}, {"difícil", 0, 0, 0}, AC_OPINION, 0, 0, 0, 0},
    {"easy", {"facile", 0, 0, 0}, {"fácil", 0, 0, 0}, AC_OPINION, 0, 0, 0, 0},
    {"beautiful", {"beau", "belle", "beaux", "belles"}, {"bonito", 0, 0, 0}, AC_OPINION, 1, 0, 0, 0},
    {"famous", {"célèbre", 0, 0, 0}, {"famoso", 0, 0, 0}, AC_OPINION, 0, 0, 0, 0},
    {"big", {"grand", 0, 0, 0}, {"grande", 0, 0, 0}, AC_QUALITY, 1, 1, "gran", 1},
    {"small", {"petit", 0, 0, 0}, {"pequeño", 0, 0, 0}, AC_QUALITY, 1, 0, 0, 0},
    {"long", {"long", "longue", "longs", "longues"}, {"largo", 0, 0, 0}, AC_QUALITY, 1, 0, 0, 0},
    {"heavy", {"lourd", 0, 0, 0}, {"pesado", 0, 0, 0}, AC_QUALITY, 0, 0, 0, 0},
    {"light", {"léger", "légère", "légers", "légères"}, {"ligero", 0, 0, 0}, AC_QUALITY, 0, 0, 0, 0},
    {"fast", {"rapide", 0, 0, 0}, {"rápido", 0, 0, 0}, AC_QUALITY, 0, 0, 0, 0},
    {"slow", {"lent", 0, 0, 0}, {"lento", 0, 0, 0}, AC_QUALITY, 0, 0, 0, 0},
    {"expensive", {"cher", "chère", "chers", "chères"}, {"caro", 0, 0, 0}, AC_QUALITY, 0, 0, 0, 0},
    {"rich", {"riche", 0, 0, 0}, {"rico", 0, 0, 0}, AC_QUALITY, 0, 0, 0, 0},
    {"poor", {"pauvre", 0, 0, 0}, {"pobre", 0, 0, 0}, AC_QUALITY, 0, 0, 0, 0},
    {"strong", {"fort", 0, 0, 0}, {"fuerte", 0, 0, 0}, AC_QUALITY, 0, 0, 0, 0},
    {"weak", {"faible", 0, 0, 0}, {"débil", 0, 0, 0}, AC_QUALITY, 0, 0, 0, 0},
    {"full", {"plein", 0, 0, 0}, {"lleno", 0, 0, 0}, AC_QUALITY, 0, 0, 0, 0},
    {"empty", {"vide", 0, 0, 0}, {"vacío", 0, 0, 0}, AC_QUALITY, 0, 0, 0, 0},
    {"clean", {"propre", 0, 0, 0}, {"limpio", 0, 0, 0}, AC_QUALITY, 0, 0, 0, 0},
    {"dirty", {"sale", 0, 0, 0}, {"sucio", 0, 0, 0}, AC_QUALITY, 0, 0, 0, 0},
    {"hot", {"chaud", 0, 0, 0}, {"caliente", 0, 0, 0}, AC_QUALITY, 0, 0, 0, 0},
    {"cold", {"froid", 0, 0, 0}, {"frío", 0, 0, 0}, AC_QUALITY, 0, 0, 0, 0},
    {"happy", {"heureux", "heureuse", "heureux", "heureuses"}, {"feliz", "feliz", "felices", "felices"}, AC_QUALITY, 0, 0, 0, 0},
    {"sad", {"triste", 0, 0, 0}, {"triste", 0, 0, 0}, AC_QUALITY, 0, 0, 0, 0},
    {"new", {"nouveau", "nouvelle", "nouveaux", "nouvelles"}, {"nuevo", 0, 0, 0}, AC_AGE, 1, 0, 0, 0},
    {"old", {"vieux", "vieille", "vieux", "vieilles"}, {"viejo", 0, 0, 0}, AC_AGE, 1, 0, 0, 0},
    {"young", {"jeune", 0, 0, 0}, {"joven", "joven", "jóvenes", "jóvenes"}, AC_AGE, 1, 0, 0, 0},
    {"modern", {"moderne", 0, 0, 0}, {"moderno", 0, 0, 0}, AC_AGE, 0, 0, 0, 0},
    {"ancient", {"ancien", "ancienne", "anciens", "anciennes"}, {"antiguo", 0, 0, 0}, AC_AGE, 0, 0, 0, 0},
    {"red", {"rouge", 0, 0, 0}, {"rojo", 0, 0, 0}, AC_COLOUR, 0, 0, 0, 0},
    {"blue", {"bleu", 0, 0, 0}, {"azul", 0, 0, 0}, AC_COLOUR, 0, 0, 0, 0},
    {"green", {"vert", 0, 0, 0}, {"verde", 0, 0, 0}, AC_COLOUR, 0, 0, 0, 0},
    {"black", {"noir", 0, 0, 0}, {"negro", 0, 0, 0}, AC_COLOUR, 0, 0, 0, 0},
    {"white", {"blanc", "blanche", "blancs", "blanches"}, {"blanco", 0, 0, 0}, AC_COLOUR, 0, 0, 0, 0},
    {"european", {"européen", "européenne", "européens", "européennes"}, {"europeo", 0, 0, 0}, AC_ORIGIN, 0, 0, 0, 0},
    {"french", {"français", "française", "français", "françaises"}, {"francés", "francesa", "franceses", "francesas"}, AC_ORIGIN, 0, 0, 0, 0},
    {"german", {"allemand", 0, 0, 0}, {"alemán", "alemana", "alemanes", "alemanas"}, AC_ORIGIN, 0, 0, 0, 0},
    {"spanish", {"espagnol", 0, 0, 0}, {"español", "española", "españoles", "españolas"}, AC_ORIGIN, 0, 0, 0, 0},
    {"italian", {"italien", "italienne", "italiens", "italiennes"}, {"italiano", 0, 0, 0}, AC_ORIGIN, 0, 0, 0, 0},
    {"english", {"anglais", "anglaise", "anglais", "anglaises"}, {"inglés", "inglesa", "ingleses", "inglesas"}, AC_ORIGIN, 0, 0, 0, 0},
    {"common", {"commun", 0, 0, 0}, {"común", "común", "comunes", "comunes"}, AC_ORIGIN, 0, 0, 0, 0},
    {"economic", {"économique", 0, 0, 0}, {"económico", 0, 0, 0}, AC_TYPE, 0, 0, 0, 0},
    {"political", {"politique", 0, 0, 0}, {"político", 0, 0, 0}, AC_TYPE, 0, 0, 0, 0},
    {"social", {"social", "sociale", "sociaux", "sociales"}, {"social", 0, 0, 0}, AC_TYPE, 0, 0, 0, 0},
    {"national", {"national", "nationale", "nationaux", "nationales"}, {"nacional", 0, 0, 0}, AC_TYPE, 0, 0, 0, 0},
    {"agricultural", {"agricole", 0, 0, 0}, {"agrícola", "agrícola", "agrícolas", "agrícolas"}, AC_TYPE, 0, 0, 0, 0},
    {"public", {"public", "publique", "publics", "publiques"}, {"público", 0, 0, 0}, AC_TYPE, 0, 0, 0, 0},
    {"industrial", {"industriel", "industrielle", "industriels", "industrielles"}, {"industrial", 0, 0, 0}, AC_TYPE, 0, 0, 0, 0},
    {"financial", {"financier", "financière", "financiers", "financières"}, {"financiero", 0, 0, 0}, AC_TYPE, 0, 0, 0, 0},
    {"military", {"militaire", 0, 0, 0}, {"militar", 0, 0, 0}, AC_TYPE, 0, 0, 0, 0},
    {"cultural", {"culturel", "culturelle", "culturels", "culturelles"}, {"cultural", 0, 0, 0}, AC_TYPE, 0, 0, 0, 0},
};
#define N_ADJS ((int)(sizeof ADJS / sizeof ADJS[0]))

enum { V_TRANS, V_INTRANS, V_SAY };

typedef struct Verb {
    const char *en[4]; /* base, 3rd person singular present, past, past participle */
    const char *fr_inf;
    const char *fr[5]; /* present 3sg, 3pl, past participle, future 3sg, 3pl */
    const char *es_inf;
    const char *es[7]; /* present 3sg, 3pl, preterite 3sg, 3pl, future 3sg, 3pl, past participle */
    int type;
} Verb;

static const Verb VERBS[] = {
    {{"sign", "signs", "signed", "signed"}, "signer", {0}, "firmar", {0}, V_TRANS},
    {{"eat", "eats", "ate", "eaten"}, "manger", {0}, "comer", {0}, V_TRANS},
    {{"carry", "carries", "carried", "carried"}, "porter", {0}, "llevar", {0}, V_TRANS},
    {{"find", "finds", "found", "found"}, "trouver", {0}, "encontrar", {"encuentra", "encuentran"}, V_TRANS},
    {{"watch", "watches", "watched", "watched"}, "regarder", {0}, "mirar", {0}, V_TRANS},
    {{"keep", "keeps", "kept", "kept"}, "garder", {0}, "guardar", {0}, V_TRANS},
    {{"wash", "washes", "washed", "washed"}, "laver", {0}, "lavar", {0}, V_TRANS},
    {{"visit", "visits", "visited", "visited"}, "visiter", {0}, "visitar", {0}, V_TRANS},
    {{"prepare", "prepares", "prepared", "prepared"}, "préparer", {0}, "preparar", {0}, V_TRANS},
    {{"win", "wins", "won", "won"}, "gagner", {0}, "ganar", {0}, V_TRANS},
    {{"leave", "leaves", "left", "left"}, "quitter", {0}, "dejar", {0}, V_TRANS},
    {{"show", "shows", "showed", "shown"}, "montrer", {0}, "mostrar", {"muestra", "muestran"}, V_TRANS},
    {{"touch", "touches", "touched", "touched"}, "toucher", {0}, "tocar", {0}, V_TRANS},
    {{"break", "breaks", "broke", "broken"}, "casser", {0}, "romper", {0, 0, 0, 0, 0, 0, "roto"}, V_TRANS},
    {{"close", "closes", "closed", "closed"}, "fermer", {0}, "cerrar", {"cierra", "cierran"}, V_TRANS},
    {{"sell", "sells", "sold", "sold"}, "vendre", {0}, "vender", {0}, V_TRANS},
    {{"build", "builds", "built", "built"}, "construire", {"construit", "construisent", "construit", "construira", "construiront"},
     "construir", {"construye", "construyen", "construyó", "construyeron"}, V_TRANS},
    {{"choose", "chooses", "chose", "chosen"}, "choisir", {0}, "elegir", {"elige", "eligen", "eligió", "eligieron"}, V_TRANS},
    {{"finish", "finishes", "finished", "finished"}, "finir", {0}, "terminar", {0}, V_TRANS},
    {{"fill", "fills", "filled", "filled"}, "remplir", {0}, "llenar", {0}, V_TRANS},
    {{"paint", "paints", "painted", "painted"}, "peindre", {"peint", "peignent", "peint", "peindra", "peindront"}, "pintar", {0}, V_TRANS},
    {{"discuss", "discusses", "discussed", "discussed"}, "discuter", {0}, "discutir", {0}, V_TRANS},
    {{"change", "changes", "changed", "changed"}, "changer", {0}, "cambiar", {0}, V_TRANS},
    {{"hate", "hates", "hated", "hated"}, "détester", {0}, "odiar", {0}, V_TRANS},
    {{"pull", "pulls", "pulled", "pulled"}, "tirer", {0}, "tirar", {0}, V_TRANS},
    {{"push", "pushes", "pushed", "pushed"}, "pousser", {0}, "empujar", {0}, V_TRANS},
    {{"count", "counts", "counted", "counted"}, "compter", {0}, "contar", {"cuenta", "cuentan"}, V_TRANS},
    {{"publish", "publishes", "published", "published"}, "publier", {0}, "publicar", {0}, V_TRANS},
    {{"present", "presents", "presented", "presented"}, "présenter", {0}, "presentar", {0}, V_TRANS},
    {{"fund", "funds", "funded", "funded"}, "financer", {0}, "financiar", {0}, V_TRANS},
    {{"negotiate", "negotiates", "negotiated", "negotiated"}, "négocier", {0}, "negociar", {0}, V_TRANS},
    {{"defend", "defends", "defended", "defended"}, "défendre", {0}, "defender", {"defiende", "defienden"}, V_TRANS},
    {{"ratify", "ratifies", "ratified", "ratified"}, "ratifier", {0}, "ratificar", {0}, V_TRANS},
    {{"lose", "loses", "lost", "lost"}, "perdre", {0}, "perder", {"pierde", "pierden"}, V_TRANS},
    {{"cook", "cooks", "cooked", "cooked"}, "cuisiner", {0}, "cocinar", {0}, V_TRANS},
    {{"check", "checks", "checked", "checked"}, "contrôler", {0}, "controlar", {0}, V_TRANS},
    {{"reject", "rejects", "rejected", "rejected"}, "refuser", {0}, "rechazar", {0}, V_TRANS},
    {{"support", "supports", "supported", "supported"}, "soutenir", {"soutient", "soutiennent", "soutenu", "soutiendra", "soutiendront"},
     "apoyar", {0}, V_TRANS},
    {{"work", "works", "worked", "worked"}, "travailler", {0}, "trabajar", {0}, V_INTRANS},
    {{"sing", "sings", "sang", "sung"}, "chanter", {0}, "cantar", {0}, V_INTRANS},
    {{"dance", "dances", "danced", "danced"}, "danser", {0}, "bailar", {0}, V_INTRANS},
    {{"walk", "walks", "walked", "walked"}, "marcher", {0}, "caminar", {0}, V_INTRANS},
    {{"sleep", "sleeps", "slept", "slept"}, "dormir", {"dort", "dorment", "dormi", "dormira", "dormiront"},
     "dormir", {"duerme", "duermen", "durmió", "durmieron"}, V_INTRANS},
    {{"swim", "swims", "swam", "swum"}, "nager", {0}, "nadar", {0}, V_INTRANS},
    {{"talk", "talks", "talked", "talked"}, "parler", {0}, "hablar", {0}, V_INTRANS},
    {{"cry", "cries", "cried", "cried"}, "pleurer", {0}, "llorar", {0}, V_INTRANS},
    {{"laugh", "laughs", "laughed", "laughed"}, "rire", {"rit", "rient", "ri", "rira", "riront"},
     "reír", {"ríe", "ríen", "rió", "rieron", "reirá", "reirán", "reído"}, V_INTRANS},
    {{"vote", "votes", "voted", "voted"}, "voter", {0}, "votar", {0}, V_INTRANS},
    {{"run", "runs", "ran", "run"}, "courir", {"court", "courent", "couru", "courra", "courront"}, "correr", {0}, V_INTRANS},
    {{"travel", "travels", "travelled", "travelled"}, "voyager", {0}, "viajar", {0}, V_INTRANS},
    {{"say", "says", "said", "said"}, "dire", {"dit", "disent", "dit", "dira", "diront"},
     "decir", {"dice", "dicen", "dijo", "dijeron", "dirá", "dirán", "dicho"}, V_SAY},
    {{"think", "thinks", "thought", "thought"}, "penser", {0}, "pensar", {"piensa", "piensan"}, V_SAY},
    {{"know", "knows", "knew", "known"}, "savoir", {"sait", "savent", "su", "saura", "sauront"},
     "saber", {"sabe", "saben", "supo", "supieron", "sabrá", "sabrán", "sabido"}, V_SAY},
    {{"believe", "believes", "believed", "believed"}, "croire", {"croit", "croient", "cru", "croira", "croiront"},
     "creer", {0, 0, "creyó", "creyeron", 0, 0, "creído"}, V_SAY},
    {{"declare", "declares", "declared", "declared"}, "déclarer", {0}, "declarar", {0}, V_SAY},
    {{"confirm", "confirms", "confirmed", "confirmed"}, "confirmer", {0}, "confirmar", {0}, V_SAY},
};
#define N_VERBS ((int)(sizeof VERBS / sizeof VERBS[0]))

/* Prepositions of adverbial phrases (and "of" inside noun phrases, "by" for agents).
 * The last French/Spanish word "de"/"à"/"a" contracts with a following definite
 * article (du, des, au, aux; del, al). */
typedef struct Prep {
    const char *en;
    const char *fr[2];
    const char *es[2];
} Prep;

enum { P_OF = 0, P_BY = 1, P_FIRST_ADVERBIAL = 2 };
static const Prep PREPS[] = {
    {"of", {"de"}, {"de"}},
    {"by", {"par"}, {"por"}},
    {"in", {"dans"}, {"en"}},
    {"on", {"sur"}, {"sobre"}},
    {"with", {"avec"}, {"con"}},
    {"for", {"pour"}, {"para"}},
    {"without", {"sans"}, {"sin"}},
    {"under", {"sous"}, {"bajo"}},
    {"near", {"près", "de"}, {"cerca", "de"}},
    {"to", {"à"}, {"a"}},
    {"after", {"après"}, {"después", "de"}},
    {"before", {"avant"}, {"antes", "de"}},
    {"from", {"de"}, {"de"}},
    {"behind", {"derrière"}, {"detrás", "de"}},
    {"against", {"contre"}, {"contra"}},
};
#define N_PREPS ((int)(sizeof PREPS / sizeof PREPS[0]))

static const char *const EN_MONTHS[12] = {"january", "february", "march",     "april",   "may",      "june",
                                          "july",    "august",   "september", "october", "november", "december"};
static const char *const FR_MONTHS[12] = {"janvier", "février", "mars",      "avril",   "mai",      "juin",
                                          "juillet", "août",    "septembre", "octobre", "novembre", "décembre"};
static const char *const ES_MONTHS[12] = {"enero", "febrero", "marzo",      "abril",   "mayo",      "junio",
                                          "julio", "agosto",  "septiembre", "octubre", "noviembre", "diciembre"};
static const char *const EN_DAYS[7] = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};
static const char *const FR_DAYS[7] = {"lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"};
static const char *const ES_DAYS[7] = {"lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"};
static const char *const EN_DEICTIC[3] = {"yesterday", "today", "tomorrow"};
static const char *const FR_DEICTIC[3] = {"hier", "aujourd'hui", "demain"};
static const char *const ES_DEICTIC[3] = {"ayer", "hoy", "mañana"};
/* number words 1..10 (index 0 unused); French/Spanish "one" agrees: un/une, un/una */
static const char *const EN_NUM[11] = {"", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"};
static const char *const FR_NUM[11] = {"", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix"};
static const char *const ES_NUM[11] = {"", "un", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve", "diez"};

#define YEAR_FIRST 1950
#define YEAR_LAST 2029
#define DIGITS_FIRST 11 /* counts written with digits: "12 cars" */
#define DIGITS_LAST 20

#endif
