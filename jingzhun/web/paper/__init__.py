"""Officers' paper: the household's card (明白卡) and file (户档案), one household per A4 sheet."""
