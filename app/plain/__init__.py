"""Plain language: the jargon list, the phone's hint while typing, and the projector's bullshitbingo card."""
