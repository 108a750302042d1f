"""The request models, outside the HTTP layer: what a use case is asked to do, its shape checked.

The shape is checked here (types, lengths, ranges); whether a code names something the city has
(a category, an area, a unit) is checked by the services against the city configuration. The API
validates a request's body and query with them; a queue, a schedule or a new channel may too.
"""
