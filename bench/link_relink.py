"""Re-link a warehouse's staged event_mentions with the current link code and score news-cluster (all/tune/test halves).

Usage: python bench/link_relink.py WAREHOUSE [JSON linking.yaml overrides]"""
import sys, json, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1])); sys.path.insert(0, str(Path(__file__).resolve().parent))
import polars as pl
from pathlib import Path
import link_eval as LE
from pipelines.core.link import link_events_explained, load_rules
root=Path(sys.argv[1] if len(sys.argv)>1 else "/tmp/link_nc_wh")
over=json.loads(sys.argv[2]) if len(sys.argv)>2 else {}
docs=pl.read_parquet(root/"parquet/documents/data.parquet"); st=pl.read_parquet(root/"_stage/stories.parquet"); men=pl.read_parquet(root/"_stage/event_mentions.parquet")
base=load_rules(); rules={**base}
for k,v in over.items():
    if isinstance(v,dict) and isinstance(base.get(k),dict): rules[k]={**base[k],**v}
    else: rules[k]=v
t=time.perf_counter(); res=link_events_explained(men, st, rules, documents=docs); t=time.perf_counter()-t
r=LE.evaluate(docs, st, res.events, res.clusters, LE.CORPUS/"labels.csv")
sg=res.story_groups
print(f"{t:.2f}s clusters={res.clusters.height} links={res.links.height} by rule={dict(res.links['rule'].value_counts().iter_rows())}")
for h in ("all","tune","test"):
    x=r[f"with_dedup/{h}"]; print(f"  {h}: P={x['precision']:.3f} R={x['recall']:.3f} cov_med={x['coverage_median']:.2f} arts_ev={x['articles_with_events']}/{x['articles']}")
