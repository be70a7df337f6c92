# Elderly items.
# elderly_allowance (高龄老人补贴) and senior_card (老年人优待证).
package sanmian.eligibility

import data.sanmian.catalogue
import data.sanmian.criteria

# 高龄老人补贴: 80 or older on the decision date (eligible ON the 80th birthday); tiered amount.
fail.elderly_allowance contains {"code": "age_below_min", "fields": ["applicant.birth_date"]} if {
	not criteria.clears.elderly_allowance.age_below_min(facts)
}

pass.elderly_allowance contains elderly_tier.reason

amount.elderly_allowance := {"tier": elderly_tier.tier, "monthly_yuan": elderly_tier.monthly_yuan}

elderly_tier := t if {
	a := age # once: each reference to a rule is a cache lookup
	some t in catalogue.items.elderly_allowance.params.tiers
	a >= t.min_age
	a <= t.max_age
}

# 老年人优待证: 60 or older.
fail.senior_card contains {"code": "age_below_min", "fields": ["applicant.birth_date"]} if {
	not criteria.clears.senior_card.age_below_min(facts)
}
