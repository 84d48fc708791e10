# Reference values for tests/analysis/test_evaluation.py (the survey difference in
# differences of drugscenes.analysis.evaluation.survey_did), from R's survey package.
#
# Rerun from the repository root:
#   Rscript tests/stats/r/evaluation_reference.R
# Produced with R 4.2.2 and survey 4.1.1 (Debian r-cran-survey). Output: one line per value,
# "quantity;value" with 15 significant digits.
#
# The two survey years are independent samples: one design with strata year x stratum (PSUs
# nested) makes their covariance zero, so the variance of the contrast below is the sum of
# the two years' variances of the within-year differences, as drugscenes computes it.
suppressPackageStartupMessages(library(survey))
options(survey.lonely.psu = "fail")

d <- read.csv("tests/stats/data/evaluation_reference.csv", stringsAsFactors = FALSE)
d$ystratum <- paste(d$year, d$stratum)
d$cell <- paste(d$group, d$year, sep = "_")
des <- svydesign(ids = ~psu, strata = ~ystratum, weights = ~w, nest = TRUE, data = d)
# Domain estimation: subset() keeps every PSU in the variance (as drugscenes' domains).
sub <- subset(des, !is.na(unsafe) & group != "none")
by <- svyby(~unsafe, ~cell, sub, svymean, covmat = TRUE)
out <- function(quantity, value) cat(sprintf("%s;%.15g\n", quantity, value))
for (i in seq_len(nrow(by))) {
  out(paste0("mean_", by$cell[i]), coef(by)[[i]])
  out(paste0("se_", by$cell[i]), SE(by)[[i]])
}
w <- function(cells, values) {
  v <- setNames(rep(0, nrow(by)), rownames(by))
  v[cells] <- values
  v
}
for (y in c(2023, 2025)) {
  con <- svycontrast(by, w(paste0(c("ceased_", "persisting_"), y), c(1, -1)))
  out(paste0("within_", y), coef(con)[[1]])
  out(paste0("within_se_", y), SE(con)[[1]])
}
did <- svycontrast(
  by, w(c("ceased_2025", "persisting_2025", "ceased_2023", "persisting_2023"), c(1, -1, -1, 1))
)
out("did", coef(did)[[1]])
out("did_se", SE(did)[[1]])
for (y in c(2023, 2025)) {
  out(paste0("df_", y), degf(subset(des, year == y)))
}
