"""The NLD-gebieden administrators give a coordinator, on the user's page (over ``app.challenges.areas``)."""
