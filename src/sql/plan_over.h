/*
 * plan_over.h — planning window functions (plan_over.c): Top-N (Rank) and
 * deduplication (Deduplicate) from a query's BRank, with their EXPLAIN
 * attributes and changelog requirement (rows of plan_ops in plan.c), and
 * the few builders of plan.c they share.  Private to the planner.
 */
#ifndef EDDY_PLAN_OVER_H
#define EDDY_PLAN_OVER_H

#include "plan.h"

/* plan.c's builders (see node_new, calc, require_before, update_origin there). */
PlanNode *plan_node_new(Plan *p, PlanKind k, size_t size, PlanNode *input, int ncols);
PlanNode *plan_calc_node(Plan *p, PlanNode *in, BExpr *filter, BExpr **exprs, const char **names, int n);
void plan_require(PlanNode *n, bool need);
const char *plan_update_origin(const PlanNode *n);

/* Query q (q->rank set) over its input `in`: WHERE, then the Rank or
 * Deduplicate, then the select list.  NULL after an error in d. */
PlanNode *plan_over_rank(Plan *p, const BQuery *q, PlanNode *in, Diag *d);

/* Query q (q->over set) over `in`: WHERE and the aggregates' arguments,
 * the OverAggregate, then the select list.  NULL after an error in d. */
PlanNode *plan_over_aggregate(Plan *p, const BQuery *q, PlanNode *in, Diag *d);

void plan_over_describe_window_rank(const PlanNode *n, ExplainAttrs *a);
void plan_over_describe_agg(const PlanNode *n, ExplainAttrs *a);
void plan_over_describe_rank(const PlanNode *n, ExplainAttrs *a);
void plan_over_describe_dedup(const PlanNode *n, ExplainAttrs *a);
void plan_over_require_rank(PlanNode *n, bool need);
void plan_over_require_dedup(PlanNode *n, bool need);

#endif
