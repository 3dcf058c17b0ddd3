"""The Atom feed of public events and the iCalendar files of deadlines."""
