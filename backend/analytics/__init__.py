"""Analytics: Rasa events ingested into the backend (never read from the tracker store)."""
