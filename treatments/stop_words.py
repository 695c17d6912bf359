"""Words that carry no weight in a search, per language: the small words of a
question ("how", "will", "del"), not what it is about. Written without accents,
as search compares words (search.fold)."""

STOP_WORDS = {
    "en": frozenset(
        """
        a about above after again against all am an and any are as at be because
        been before being below between both but by can could did do does doing
        done down during each few for from further get gets getting go going had has
        have having he her here hers herself him himself his how i if in into is it
        its itself just me might more most must my myself no nor not now of off on
        once only or other our ours ourselves out over own same she should so some
        such than that the their theirs them themselves then there these they this
        those through to too under until up very was we were what when where which
        while who whom why will with would you your yours yourself yourselves
        mean means meaning use used using
        """.split()
    ),
    "es": frozenset(
        """
        a al algo algun alguna algunas alguno algunos ante antes como con contra
        cual cuales cuando cuanto cuanta cuantos cuantas de del desde donde durante e
        el ella ellas ello ellos en entre era eran eres es esa esas ese eso esos esta
        estas este esto estos estoy estan estar fue fueron ha han has hay he hasta la
        las le les lo los mas me mi mis mucho muy nada ni no nos nosotros o os otra
        otras otro otros para pero poco por porque que quien quienes se sea ser si
        sin sobre son soy su sus tambien tan tanto te tengo tiene tienen tu tus un
        una uno unos unas usted ustedes vosotros voy y ya yo
        significa significado quiere decir usa usan usar uso
        """.split()
    ),
}


def without_stop_words(words, language):
    """The words that say what the query is about."""
    stop = STOP_WORDS.get(language, frozenset())
    return [word for word in words if word not in stop]
