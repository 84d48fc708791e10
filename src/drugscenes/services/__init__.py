"""The application layer: one function per user job, the same for every edge.

Each job takes an open :class:`~drugscenes.store.Store` and typed, keyword-only
parameters (defaults from :mod:`drugscenes.config`, periods as
:class:`~drugscenes.periods.Period`) and returns a typed result with ``to_dict()``. The
command line, the report and the web app call these functions and only format what they
return: a figure an edge needs and a result lacks goes into the result, never into the
edge. Survey results leave this layer only through disclosure control.

Jobs
----
- workspace: :func:`~drugscenes.services.workspace.init_workspace`,
  :func:`~drugscenes.services.workspace.inventory`,
  :func:`~drugscenes.services.workspace.copy`, :func:`~drugscenes.services.workspace.migrate`
- imports: :mod:`drugscenes.services.imports` (scenes, incidents, survey)
- change: :func:`~drugscenes.services.change.compare`,
  :func:`~drugscenes.services.change.history`
- crime: :func:`~drugscenes.services.crime.crime`,
  :func:`~drugscenes.services.crime.displacement`,
  :func:`~drugscenes.services.crime.nearrepeat`
- hot spots: :func:`~drugscenes.services.hotspots.hotspots`
- survey: :func:`~drugscenes.services.survey.survey`
- report: :func:`~drugscenes.services.report.report`

Modules are imported by their users (``from drugscenes.services import crime``), not
here, so that a command loads only what it uses.
"""
