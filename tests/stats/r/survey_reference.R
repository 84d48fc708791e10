# Reference values for tests/stats/test_survey_design.py, from R's survey package.
#
# Rerun from the repository root:
#   Rscript tests/stats/r/survey_reference.R > /tmp/survey_reference.out
# Produced with R 4.x and survey 4.1.1 (Debian r-cran-survey). Output: one line per value,
# "design;quantity;domain;value" with 15 significant digits.
suppressPackageStartupMessages(library(survey))
options(survey.lonely.psu = "fail")

d <- read.csv("tests/stats/data/survey_reference.csv", stringsAsFactors = FALSE)
designs <- list(
  clustered = svydesign(ids = ~psu, strata = ~stratum, weights = ~w, nest = TRUE, data = d),
  simple = svydesign(ids = ~1, weights = ~w, data = d)
)
out <- function(design, quantity, domain, value) {
  cat(sprintf("%s;%s;%s;%.15g\n", design, quantity, domain, value))
}
for (dn in names(designs)) {
  des <- designs[[dn]]
  doms <- c("all", sort(unique(d$band)))
  for (b in doms) {
    sub <- if (b == "all") des else subset(des, band == b)
    m <- svymean(~unsafe, sub)
    out(dn, "mean", b, coef(m)[[1]])
    out(dn, "se", b, SE(m)[[1]])
    out(dn, "df", b, degf(sub))
    out(dn, "n", b, nrow(sub))
    for (meth in c("logit", "beta", "mean")) {
      ci <- attr(svyciprop(~unsafe, sub, method = meth), "ci")
      out(dn, paste0(meth, "_low"), b, ci[[1]])
      out(dn, paste0(meth, "_high"), b, ci[[2]])
    }
    if (b != "all") {
      # Difference domain - whole sample, by the delta method on ratio-of-means.
      des2 <- update(des, ind = as.numeric(band == b), yd = unsafe * as.numeric(band == b))
      con <- svycontrast(svymean(~unsafe + yd + ind, des2), quote(yd / ind - unsafe))
      out(dn, "diff", b, coef(con)[[1]])
      out(dn, "diff_se", b, SE(con)[[1]])
    }
  }
  # svyby gives the same domain SEs as subset() (checked here, not only assumed).
  by <- svyby(~unsafe, ~band, des, svymean)
  for (i in seq_len(nrow(by))) out(dn, "svyby_se", by$band[i], SE(by)[i])
  # A tight convergence criterion so that the reference is the converged fit, not glm.fit's
  # default stop at epsilon = 1e-8 (which moves the SEs by ~1e-7).
  fit <- svyglm(unsafe ~ dist_km, des, family = quasibinomial(),
    control = glm.control(epsilon = 1e-14, maxit = 100))
  ci <- confint(fit)
  out(dn, "glm_coef", "intercept", coef(fit)[[1]])
  out(dn, "glm_coef", "dist_km", coef(fit)[[2]])
  out(dn, "glm_se", "intercept", SE(fit)[[1]])
  out(dn, "glm_se", "dist_km", SE(fit)[[2]])
  out(dn, "glm_low", "dist_km", ci[2, 1])
  out(dn, "glm_high", "dist_km", ci[2, 2])
  out(dn, "glm_df", "all", fit$df.residual)
}
