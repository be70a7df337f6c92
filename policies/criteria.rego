# METADATA
# title: Item criteria over the applicant's facts
# description: |
#   The criteria of the items that rest on the applicant alone, stated once over a flat object
#   of facts whose names are the columns of the synced scan data (scan_residents). The live
#   decision binds them to the facts it derives from the evidence (eligibility.facts) and
#   refuses with a criterion's code when the criterion is not cleared; the district scan binds
#   them to a row of scan_residents and OPA partial evaluation compiles them to SQL (with
#   input.now known). clears.<item>.<code>(f) holds when the applicant with facts f clears the
#   criterion whose failure code is <code>. Written so that they compile: comparisons of
#   columns with values derived from input.now and the catalogue (ages as birth-date bounds),
#   alternatives as separate bodies, and no negated calls (a negation is stated as its own
#   comparisons, next to the positive form). Two criteria read facts of other rows, which the
#   scan data derives as columns as of the scan date (household_last_death, child_deceased,
#   child_disability_grade; hub/store) and the live rules derive from the evidence.
package sanmian.criteria

import data.sanmian.catalogue

# born_by is the latest birth date (YYYY-MM-DD) of a person who is at least years old on the
# date now: a person turns n ON the n-th birthday, someone born on 29 February on 1 March in
# common years (lib.age), so on a 29 February the bound in a common year is 28 February.
born_by(now, years) := sprintf("%04d-02-28", [y]) if {
	y := to_number(substring(now, 0, 4)) - years
	substring(now, 5, 5) == "02-29"
	not leap(y)
} else := sprintf("%04d%s", [to_number(substring(now, 0, 4)) - years, substring(now, 4, 6)])

leap(y) if {
	y % 4 == 0
	y % 100 != 0
}

leap(y) if y % 400 == 0

# days_after is the date n days after the date now.
days_after(now, n) := time.format([time.add_date(time.parse_ns("2006-01-02", now), 0, 0, n), "UTC", "2006-01-02"])

# at_least: aged years or more on the decision date; below: younger than years.
at_least(f, years) if f.birth_date <= born_by(input.now, years)

below(f, years) if f.birth_date > born_by(input.now, years)

# certified: the applicant holds a disability certificate that is valid and not past its
# valid_until on the decision date; uncertified is its complement.
certified(f) if {
	f.disability_status == "valid"
	f.disability_valid_until == ""
}

certified(f) if {
	f.disability_status == "valid"
	f.disability_valid_until >= input.now
}

uncertified(f) if f.disability_status != "valid"

uncertified(f) if {
	f.disability_valid_until != ""
	f.disability_valid_until < input.now
}

# on_assistance: on the 低保 or the 特困 roll.
on_assistance(f) if f.dibao == true

on_assistance(f) if f.tekun == true

# within_labour_age: below the statutory labour age of the applicant's sex (simplified: men
# under 60, women under 50); a sex the table does not name has no labour age.
within_labour_age(f) if {
	some sex, years in catalogue.config.labour_age_max
	f.sex == sex
	below(f, years)
}

within_labour_age(f) if not f.sex in object.keys(catalogue.config.labour_age_max)

# 高龄老人补贴: 80 or older on the decision date (eligible ON the 80th birthday).
clears.elderly_allowance.age_below_min(f) if at_least(f, catalogue.items.elderly_allowance.params.min_age)

# 老年人优待证: 60 or older.
clears.senior_card.age_below_min(f) if at_least(f, catalogue.items.senior_card.params.min_age)

# 困难残疾人生活补贴: certified disability in a 低保 household.
clears.hardship_disability_subsidy.no_valid_disability_certificate(f) if certified(f)

clears.hardship_disability_subsidy.not_dibao_household(f) if f.dibao == true

# 重度残疾人护理补贴: certified disability of grade 1 or 2, not in 特困供养.
clears.severe_disability_care_subsidy.no_valid_disability_certificate(f) if certified(f)

clears.severe_disability_care_subsidy.disability_grade_too_low(f) if uncertified(f)

clears.severe_disability_care_subsidy.disability_grade_too_low(f) if {
	f.disability_grade <= catalogue.items.severe_disability_care_subsidy.params.max_grade
}

clears.severe_disability_care_subsidy.in_tekun(f) if f.tekun != true

# 残疾人证换领: a disability certificate that is expired or expires within the renewal window.
clears.disability_certificate_renewal.no_disability_certificate(f) if f.disability_status != ""

clears.disability_certificate_renewal.certificate_not_due(f) if f.disability_status == ""

clears.disability_certificate_renewal.certificate_not_due(f) if f.disability_status == "expired"

clears.disability_certificate_renewal.certificate_not_due(f) if {
	f.disability_status == "valid"
	f.disability_valid_until != ""
	f.disability_valid_until <= days_after(input.now, catalogue.config.disability_renewal_window_days)
}

# 残疾人辅助器具适配: certified disability of a category devices serve.
clears.assistive_device_fitting.no_valid_disability_certificate(f) if certified(f)

clears.assistive_device_fitting.category_not_covered(f) if uncertified(f)

clears.assistive_device_fitting.category_not_covered(f) if {
	f.disability_category in catalogue.items.assistive_device_fitting.params.categories
}

# 医疗救助: on the 低保 or 特困 roll and insured in resident medical insurance.
clears.medical_assistance.not_dibao_or_tekun(f) if on_assistance(f)

clears.medical_assistance.no_medical_insurance(f) if f.medical == "enrolled"

# 困难家庭学生资助: in school and on the 低保 or 特困 roll.
clears.student_aid.not_in_school(f) if f.in_school != ""

clears.student_aid.not_dibao_or_tekun(f) if on_assistance(f)

# 困难群众冬季取暖补贴: on the 低保 or 特困 roll.
clears.winter_heating_subsidy.not_dibao_or_tekun(f) if on_assistance(f)

# 城乡居民养老保险待遇领取: 60+ and enrolled (paying), not yet receiving.
clears.resident_pension_claim.age_below_min(f) if at_least(f, catalogue.items.resident_pension_claim.params.min_age)

clears.resident_pension_claim.pension_already_receiving(f) if f.pension != "receiving"

clears.resident_pension_claim.pension_not_enrolled(f) if f.pension in {"enrolled", "receiving"}

# 城乡居民养老保险参保登记: aged 16-59, not enrolled, not employed, not a student in school.
clears.pension_insurance_enrolment.age_below_min(f) if at_least(f, catalogue.items.pension_insurance_enrolment.params.min_age)

clears.pension_insurance_enrolment.age_above_max(f) if below(f, catalogue.items.pension_insurance_enrolment.params.max_age + 1)

clears.pension_insurance_enrolment.pension_already_enrolled(f) if f.pension == "not_enrolled"

clears.pension_insurance_enrolment.employed(f) if f.employment != "employed"

clears.pension_insurance_enrolment.in_school(f) if f.in_school == ""

# 城乡居民医保参保登记: not insured for the year of the decision date.
clears.medical_insurance_enrolment.medical_already_enrolled(f) if f.medical != "enrolled"

clears.medical_insurance_enrolment.medical_already_enrolled(f) if f.medical_year < to_number(substring(input.now, 0, 4))

# 义务兵家庭优待金
clears.conscript_family_allowance.not_conscript_family(f) if f.veteran == "conscript_family"

# 重点优抚对象定期抚恤补助
clears.entitled_group_pension.not_entitled_group(f) if f.veteran in catalogue.items.entitled_group_pension.params.categories

# 公益性岗位申请: recognised employment difficulty, of working age.
clears.public_welfare_job.no_employment_difficulty(f) if f.employment_difficulty == true

clears.public_welfare_job.age_below_min(f) if at_least(f, catalogue.items.public_welfare_job.params.min_age)

clears.public_welfare_job.above_labour_age(f) if within_labour_age(f)

# 就业困难人员认定: registered unemployed, of working age, with a difficulty factor (women 40+,
# men 50+, certified disability or 低保 household), not yet recognised.
clears.employment_difficulty_recognition.already_recognised(f) if f.employment_difficulty != true

clears.employment_difficulty_recognition.not_registered_unemployed(f) if f.employment == "unemployed_registered"

clears.employment_difficulty_recognition.age_below_min(f) if at_least(f, catalogue.items.employment_difficulty_recognition.params.min_age)

clears.employment_difficulty_recognition.above_labour_age(f) if within_labour_age(f)

clears.employment_difficulty_recognition.no_difficulty_factor(f) if {
	some sex, years in catalogue.config.employment_difficulty_age
	f.sex == sex
	at_least(f, years)
}

clears.employment_difficulty_recognition.no_difficulty_factor(f) if certified(f)

clears.employment_difficulty_recognition.no_difficulty_factor(f) if f.dibao == true

# The items below also read the household or the children. Their criteria here rest on the
# applicant and on facts the scan data derives from other rows (the household's latest death,
# rolls and member counts; the children's state), and the live rules call them as the other
# items do. For the items of per_resident the district scan compiles them into a screen, so
# that only the residents who clear them are evaluated per resident for the rest; the others
# (extreme-poverty support, dilapidated-house renovation, the farmland subsidy) are stated
# whole here and compiled.

# 农村部分计划生育家庭奖励扶助: agricultural hukou, 60+, born on/after 1933-01-01 (and a qualifying
# family, per resident).
clears.rural_family_planning_reward.not_agricultural_hukou(f) if f.hukou_type == "agricultural"

clears.rural_family_planning_reward.age_below_min(f) if at_least(f, catalogue.items.rural_family_planning_reward.params.min_age)

clears.rural_family_planning_reward.born_before_1933(f) if {
	f.birth_date >= catalogue.items.rural_family_planning_reward.params.born_on_or_after
}

# 独生子女父母奖励: a valid only-child honour certificate (and the child under 18, per resident).
clears.only_child_parent_reward.no_only_child_honour(f) if f.only_child_honour == true

# 特困人员救助供养: unable to work: 60+, under 16, or a certified disability of grade 1-2; no
# working-age supporter in the household; not already supported (the 特困 roll).
clears.extreme_poverty_support.able_to_work_no_supporter_check(f) if at_least(f, catalogue.items.extreme_poverty_support.params.elderly_age)

clears.extreme_poverty_support.able_to_work_no_supporter_check(f) if below(f, catalogue.items.extreme_poverty_support.params.minor_age)

clears.extreme_poverty_support.able_to_work_no_supporter_check(f) if {
	certified(f)
	f.disability_grade <= catalogue.items.extreme_poverty_support.params.max_disability_grade
}

clears.extreme_poverty_support.has_supporter(f) if f.household_members_supporter == 0

clears.extreme_poverty_support.already_enrolled(f) if f.tekun == false

# member.<name>(m): predicates over a household member's facts (named as the scan data's
# columns). The live rules count the applicant's other household members for whom one holds;
# the scan data derives the same count per pass, named household_members_<name>.
#
# supporter: a living member (the province records no death) of working age,
# supporter_min_age to supporter_max_age.
member.supporter(m) if {
	m.deceased_source in {"", "district"}
	at_least(m, catalogue.items.extreme_poverty_support.params.supporter_min_age)
	below(m, catalogue.items.extreme_poverty_support.params.supporter_max_age + 1)
}

# in_hardship: a living member on the 特困 roll or holding a certified disability (which makes
# the household a 残疾人家庭 in hardship for dilapidated-house renovation).
member.in_hardship(m) if {
	m.deceased_source in {"", "district"}
	m.tekun == true
}

member.in_hardship(m) if {
	m.deceased_source in {"", "district"}
	certified(m)
}

# 农村危房改造: the house graded C or D, in a household in hardship: the applicant on the 低保 or
# 特困 roll or certified disabled, or a living member in hardship (member.in_hardship).
clears.dilapidated_house_renovation.house_safe(f) if f.house_grade in catalogue.items.dilapidated_house_renovation.params.grades

clears.dilapidated_house_renovation.not_hardship_household(f) if on_assistance(f)

clears.dilapidated_house_renovation.not_hardship_household(f) if certified(f)

clears.dilapidated_house_renovation.not_hardship_household(f) if f.household_members_in_hardship > 0

# 耕地地力保护补贴: contracted farmland on the district roll, granted once per household.
clears.farmland_protection_subsidy.no_farmland(f) if f.land_mu > 0

clears.farmland_protection_subsidy.household_enrolled(f) if household_not_enrolled("farmland_protection_subsidy", f)

# An item whose benefit subject is the household is granted once per household: the live rule
# (eligibility.generic_failures) refuses every member once one is on its roll, binding this
# criterion to the household's rolls; the scan data derives the same fact per pass, named
# household_enrolled_<item>: another member of the applicant's household on item code's roll.
household_not_enrolled(code, f) if f[concat("", ["household_enrolled_", code])] == false

clears.dilapidated_house_renovation.household_enrolled(f) if household_not_enrolled("dilapidated_house_renovation", f)

# 计划生育特别扶助: the only child is deceased or holds a valid disability certificate of grade
# 1 to max_child_disability_grade (and is the only child, with the mother 49 or older, per
# resident). Stated over the applicant's children (the scan data derives child_deceased and
# child_disability_grade per pass); with one child these are the only child's.
clears.family_planning_special_support.only_child_not_deceased_or_disabled(f) if f.child_deceased == true

clears.family_planning_special_support.only_child_not_deceased_or_disabled(f) if {
	f.child_disability_grade > 0
	f.child_disability_grade <= catalogue.items.family_planning_special_support.params.max_child_disability_grade
}

# 惠民殡葬补贴: a claimed death (the applicant's or a household member's, as the province
# records it) within the claim window before the decision date; household_last_death is the
# latest such death date on or before it (the scan data derives it per pass), so a death in
# the window exists exactly when the latest one is in it. (Whether that death is already paid
# is read per resident.)
clears.funeral_subsidy.no_recent_death(f) if recent_death(f.household_last_death)

# recent_death: the date d is within the claim window: on or before the decision date and at
# most claim_window_days before it.
recent_death(d) if {
	d != ""
	d <= input.now
	d >= days_after(input.now, 0 - catalogue.items.funeral_subsidy.params.claim_window_days)
}

# per_resident names the proactive items whose criteria read more than the applicant's own
# facts, with what they read: the district scan evaluates them per resident (one evaluation
# per resident for all of them) and says why.
per_resident := {
	"rural_family_planning_reward": "iterates the applicant's children (family type)",
	"family_planning_special_support": "iterates the applicant's children and the mother's record",
	"only_child_parent_reward": "reads the honour certificate's child and the child's age",
	"funeral_subsidy": "reads whether each recent death of the household is on the funeral roll (paid once per death)",
}
