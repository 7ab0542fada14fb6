# Reference values for soteria_research.analysis.competing_risks.gray_test: Gray's K-sample
# test of equal cumulative incidence, as cmprsk::cuminc reports it in $Tests.
#
# Run from the repository root:  Rscript tests/reference/make_reference_gray_test.R
# Reads tests/reference/data/{mgus2.csv, cr_ties.csv} (written by
# make_reference_competing_risks.R), writes tests/reference/data/{gray_groups.csv,
# gray_test.csv} and tests/reference/versions_gray_test.txt.
# Needs R >= 4.0 with cmprsk (Debian: r-base-core r-cran-cmprsk). The Python tests read only
# the files written here and never need R.

suppressPackageStartupMessages(library(cmprsk))

out_dir <- file.path("tests", "reference", "data")
digits <- 17

# Five groups, two strata, heavy ties (every fifth day), one group followed only briefly (so
# its risk set empties while the others go on), two competing outcomes and censoring.
set.seed(20261202)
n <- 900
group <- sample(c("a", "b", "c", "d", "e"), n, replace = TRUE, prob = c(0.3, 0.25, 0.2, 0.15, 0.1))
stratum <- sample(c("s1", "s2"), n, replace = TRUE)
shift <- c(a = 0, b = 0.4, c = -0.3, d = 0.2, e = 0)[group] + ifelse(stratum == "s2", 0.3, 0)
lat1 <- rexp(n, 0.010 * exp(shift))
lat2 <- rexp(n, 0.012 * exp(-0.5 * shift))
cens <- ifelse(group == "e", runif(n, 5, 40), runif(n, 20, 250))
tmin <- pmin(lat1, lat2)
days <- ceiling(pmin(tmin, cens) / 5) * 5
event <- ifelse(tmin <= cens, ifelse(lat1 < lat2, 1L, 2L), 0L)
groups <- data.frame(days = days, event = event, group = group, stratum = stratum)
write.csv(groups, file.path(out_dir, "gray_groups.csv"), row.names = FALSE)

mgus <- read.csv(file.path(out_dir, "mgus2.csv"))
ties <- read.csv(file.path(out_dir, "cr_ties.csv"))
groups <- read.csv(file.path(out_dir, "gray_groups.csv"))

rows <- list()
test <- function(name, time, status, group, strata = NULL, rho = 0) {
  fit <- if (is.null(strata)) cuminc(time, status, group, rho = rho, cencode = 0)
         else cuminc(time, status, group, strata = strata, rho = rho, cencode = 0)
  tests <- fit$Tests
  rows[[length(rows) + 1]] <<- data.frame(
    case = name, cause = rownames(tests), rho = rho, statistic = tests[, "stat"],
    p = tests[, "pv"], df = tests[, "df"])
}
test("mgus2_by_sex", mgus$etime, mgus$event, mgus$sex)
test("mgus2_by_sex_rho1", mgus$etime, mgus$event, mgus$sex, rho = 1)
test("ties_by_group", ties$days, ties$event, ties$group)
test("ties_by_group_strata_x2", ties$days, ties$event, ties$group, strata = ties$x2)
test("groups", groups$days, groups$event, groups$group)
test("groups_strata", groups$days, groups$event, groups$group, strata = groups$stratum)
test("groups_rho_minus1", groups$days, groups$event, groups$group, rho = -1)
test("groups_rho2_strata", groups$days, groups$event, groups$group, strata = groups$stratum,
     rho = 2)
write.csv(format(do.call(rbind, rows), digits = digits), file.path(out_dir, "gray_test.csv"),
          row.names = FALSE, quote = FALSE)

writeLines(c(
  R.version.string,
  paste("cmprsk", as.character(packageVersion("cmprsk"))),
  paste("platform", R.version$platform)),
  file.path("tests", "reference", "versions_gray_test.txt"))
