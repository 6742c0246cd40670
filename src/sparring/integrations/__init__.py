"""Integrations with the learning and sales stack an organisation already runs (issue 16: xAPI statements, LTI
1.3, outgoing webhooks, SSO and SCIM).

This package holds the mappings (a stored conversation and scorecard as an xAPI statement, an event as a signed
webhook body); deliveries run as jobs and the use cases live in ``sparring.services``. Outside integrations
register under the ``sparring.integrations`` entry point group and are built by the composition root
(``sparring.root.Sparring.integrations``; docs/architecture.md, "Extension points"). None is built in yet.

Built in: ``events`` (the outbox of integration events the services publish in their transaction) and
``webhooks`` (the signed body, the address rules and the POST of outgoing webhooks; docs/integrations.md).
"""
