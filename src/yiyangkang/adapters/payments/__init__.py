"""Payment providers behind the `PaymentGateway` port."""
