"""Profile render_archive on an already-rendered archive (run make_archive into /tmp/rb/p300 first)."""
import cProfile, pstats, time, sys
from pathlib import Path
from rapporteur.site.build import render_archive
w=Path('/tmp/rb/p300')
t=time.time(); render_archive(w/'recordings', w/'docs', log=lambda _: None); print('cold render', round(time.time()-t,1), flush=True)
t=time.time(); cProfile.run("render_archive(w/'recordings', w/'docs', log=lambda _: None)", '/tmp/rb/warm.prof'); print('warm render (profiled)', round(time.time()-t,1), flush=True)
pstats.Stats('/tmp/rb/warm.prof').sort_stats('cumulative').print_stats(30)
