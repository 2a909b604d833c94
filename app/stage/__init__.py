"""The room's stage besides the wall: the countdown, one answer in the spotlight, the word cloud."""
