"""Two-way sync with Google Calendar and Microsoft Outlook."""
