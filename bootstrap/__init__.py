"""The composition root: builds what each process of hotich needs from settings."""
