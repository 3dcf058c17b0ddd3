"""Market dialogue: industry days and market consultations of a challenge, registration with a waiting list,
calendar files and reminders (the coordinators' pages are in ``app.workspace.events``)."""
