"""Question answering with cited passages over biopharma documents."""
