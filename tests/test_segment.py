from rapporteur.segment import chapters_from_info, place_agenda
from rapporteur.session import AgendaEntry


def test_timed_session_items_win_over_chapters():
    a = place_agenda([AgendaEntry(title="Open", start=0.0), AgendaEntry(title="Untimed"), AgendaEntry(title="Q&A", start=600.0)],
                     {"chapters": [{"title": "Ch", "start_time": 5.0}]})
    assert [(i.title, i.start, i.source) for i in a.items] == [("Open", 0.0, "session"), ("Q&A", 600.0, "session")]


def test_chapters_used_when_no_times():
    info = {"chapters": [{"title": "Two", "start_time": 60.5, "end_time": 90}, {"title": "One", "start_time": 0}, {"title": "", "start_time": 3}]}
    a = place_agenda([AgendaEntry(title="Untimed")], info)
    assert [(i.title, i.start, i.source) for i in a.items] == [("One", 0.0, "chapters"), ("Two", 60.5, "chapters")]


def test_nothing_known_gives_empty_agenda():
    assert place_agenda([AgendaEntry(title="X")], None).items == ()
    assert chapters_from_info({"chapters": None}) == []
