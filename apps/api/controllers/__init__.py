"""One controller per context; handlers only translate HTTP to use cases and back."""
