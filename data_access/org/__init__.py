"""The organisation: org units (city → district → station → community → grid), dated grid assignments, grid geometry, users, sign-in, lockout, roles and data scopes."""
