"""The Hearth benchmark (``bench/run.py``), one module per job:

- :mod:`.cli`: the command line and the order of a run;
- :mod:`.context`: one run (options, directory, database, tokens, report, environment of the processes);
- :mod:`.dataset`: ``hearth seed`` or reuse, undoing the write scenarios (timelines included);
- :mod:`.servers`: the server processes; :mod:`.sampling`: RSS and CPU sampling while a load runs;
- :mod:`.scenarios`: the scenarios and their request files; :mod:`.load`: wrk and one measured load;
- :mod:`.growth`: feed latency and post creation by number of connections (growth viewers);
- :mod:`.capture`: the SQL of real requests (in-process app); :mod:`.explain`: EXPLAIN, buffers per request;
- :mod:`.limits`: (a) the database alone (pgbench), (b) the HTTP stack alone;
- :mod:`.targets`: the issues' targets; :mod:`.report`: markdown; :mod:`.charts`: PNG charts;
- :mod:`.environment`: machine and versions; :mod:`.common`: paths, constants, small helpers.
"""
