"""The reviewers' web app: FastAPI, server-rendered templates (issue: review and approval)."""
