"""Use cases of the service mall (服务商城): one module per part: catalogue and review, offers, mall
configuration, browsing, checkout and payment, fulfilment, after-sales, ratings, exception orders."""
