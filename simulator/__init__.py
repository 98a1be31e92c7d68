"""A CloudStack management-server API double: same URL, signing, envelopes, errors and jobs."""
