"""Privacy (AVG/GDPR): a user downloads their own data and deletes their account.

It sits in the top layer because what a user did spans every domain: memberships (organisations), proposals,
questions, coordinators' and evaluators' duties (challenges, evaluations) and the audit trail.
"""
