/*
 * nightly.h — `weft campaign`: the nightly campaign (fuzz targets, every
 * workload across strategies and core counts in seed shards, the sweeps,
 * coverage, the report). The driver is scripts/campaign.py of the
 * repository this binary was built from; this command execs it with this
 * binary as its --weft (docs/campaign.md).
 */
#ifndef WEFT_NIGHTLY_H
#define WEFT_NIGHTLY_H

/* argv as main got it, argv[1] == "campaign". Returns only on failure:
 * 2, with one line on stderr (no driver script, no python3). */
int weft_campaign(int argc, char **argv);

#endif /* WEFT_NIGHTLY_H */
