# Reference values for the Cox / Kaplan-Meier half of soteria_research.analysis.survival:
# survival::coxph (Efron and Breslow ties, strata, case weights, delayed entry, robust
# cluster errors), cox.zph (score test, transform "km"), concordance, and survfit (KM).
#
# Run from the repository root:  Rscript tests/reference/make_reference_cox.R
# Writes tests/reference/data/cox_*.csv (the datasets and the reference values) and
# tests/reference/versions_cox.txt. Needs R >= 4.0 with survival >= 3.0 (Debian:
# r-base-core r-cran-survival). Synthetic data are drawn here with a fixed seed; the Python
# tests read only the files written here and never need R.

suppressPackageStartupMessages(library(survival))

out_dir <- file.path("tests", "reference", "data")
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)
save_csv <- function(df, name) {
  write.csv(df, file.path(out_dir, name), row.names = FALSE, na = "")
}
options(digits = 17)

# ---- datasets ---------------------------------------------------------------------------
lung <- survival::lung
lung$dead <- as.integer(lung$status == 2)
save_csv(lung, "cox_lung.csv")

veteran <- survival::veteran
# alphabetical levels, so treatment contrasts use the same reference level as the Python side
veteran$celltype <- factor(as.character(veteran$celltype))
save_csv(veteran, "cox_veteran.csv")

mgus <- survival::mgus2
mgus$etime <- with(mgus, ifelse(pstat == 0, futime, ptime))
mgus$event <- with(mgus, ifelse(pstat == 0, 2 * death, 1))   # 0 censor, 1 pcm, 2 death
mgus$outcome <- c("censored", "pcm", "death")[mgus$event + 1]
save_csv(mgus, "mgus2.csv")

set.seed(20261129)
# Whole-day times (heavy ties), three strata, non-integer case weights, clusters of rows.
n <- 800
x1 <- round(rnorm(n), 4)
x2 <- rbinom(n, 1, 0.4)
x3 <- round(runif(n, 18, 70))
region <- sample(c("east", "north", "west"), n, replace = TRUE)
base <- c(east = 0.02, north = 0.03, west = 0.015)[region]
lat <- rexp(n, base * exp(0.5 * x1 - 0.7 * x2 + 0.01 * x3))
cens <- runif(n, 5, 120)
days <- ceiling(pmin(lat, cens))
event <- as.integer(lat <= cens)
ties <- data.frame(id = sample(1:300, n, replace = TRUE), days = days, event = event,
                   x1 = x1, x2 = x2, x3 = x3, region = region,
                   weight = round(runif(n, 0.2, 3), 3))
save_csv(ties, "cox_ties.csv")

# Delayed entry (counting process): entry times in whole days, many equal to event times of
# others, so the "entering at an event time is not at risk then" rule matters.
n <- 600
entry <- floor(runif(n, 0, 40))
lat <- entry + rexp(n, 0.03 * exp(0.6 * (z1 <- round(rnorm(n), 4))))
cens <- entry + runif(n, 1, 90)
stop <- ceiling(pmin(lat, cens))
stop <- pmax(stop, entry + 1)
entry_df <- data.frame(id = rep(1:200, length.out = n), entry = entry, stop = stop,
                       event = as.integer(lat <= cens), z1 = z1,
                       z2 = rbinom(n, 1, 0.5), site = sample(c("a", "b"), n, replace = TRUE))
save_csv(entry_df, "cox_entry.csv")

# Heavy censoring (about 85%), continuous times, no ties.
n <- 700
h1 <- round(rnorm(n), 4)
h2 <- rbinom(n, 1, 0.3)
lat <- rexp(n, 0.002 * exp(0.8 * h1 + 0.5 * h2))
cens <- rexp(n, 0.02)
heavy <- data.frame(time = round(pmin(lat, cens), 6), event = as.integer(lat <= cens),
                    h1 = h1, h2 = h2)
save_csv(heavy, "cox_heavy.csv")

# Non-integer case weights for the delayed-entry data (drawn last, so the data above keep
# their values).
entry_df$w <- round(runif(nrow(entry_df), 0.3, 2.5), 3)
save_csv(entry_df, "cox_entry.csv")

# ---- Cox fits ---------------------------------------------------------------------------
fits <- list(
  lung_efron = coxph(Surv(time, dead) ~ age + sex + ph.ecog, data = lung),
  lung_breslow = coxph(Surv(time, dead) ~ age + sex + ph.ecog, data = lung, ties = "breslow"),
  lung_strata = coxph(Surv(time, dead) ~ age + ph.ecog + strata(sex), data = lung),
  veteran_factor = coxph(Surv(time, status) ~ trt + karno + celltype, data = veteran),
  mgus2_pcm = coxph(Surv(etime, event == 1) ~ age + sex + mspike, data = mgus),
  ties_weights = coxph(Surv(days, event) ~ x1 + x2 + x3, data = ties, weights = weight),
  ties_strata = coxph(Surv(days, event) ~ x1 + x2 + x3 + strata(region), data = ties),
  ties_robust = coxph(Surv(days, event) ~ x1 + x2 + x3, data = ties, cluster = id),
  ties_all = coxph(Surv(days, event) ~ x1 + x2 + x3 + strata(region), data = ties,
                   weights = weight, cluster = id),
  entry = coxph(Surv(entry, stop, event) ~ z1 + z2, data = entry_df),
  entry_strata_robust = coxph(Surv(entry, stop, event) ~ z1 + z2 + strata(site),
                              data = entry_df, cluster = id),
  heavy = coxph(Surv(time, event) ~ h1 + h2, data = heavy),
  lung_breslow_robust = coxph(Surv(time, dead) ~ age + sex + ph.ecog, data = lung,
                              ties = "breslow", robust = TRUE),
  entry_weights = coxph(Surv(entry, stop, event) ~ z1 + z2 + strata(site), data = entry_df,
                        weights = w),
  entry_weights_breslow = coxph(Surv(entry, stop, event) ~ z1 + z2, data = entry_df,
                                weights = w, ties = "breslow", cluster = id)
)

rows <- list()
add <- function(fit, quantity, term, value) {
  rows[[length(rows) + 1]] <<- data.frame(fit = fit, quantity = quantity, term = term,
                                          value = value)
}
for (nm in names(fits)) {
  f <- fits[[nm]]
  b <- coef(f)
  add(nm, "coef", names(b), unname(b))
  naive <- if (is.null(f$naive.var)) f$var else f$naive.var
  add(nm, "se", names(b), sqrt(diag(naive)))
  if (!is.null(f$naive.var)) add(nm, "robust_se", names(b), sqrt(diag(f$var)))
  add(nm, "loglik_null", "", f$loglik[1])
  add(nm, "loglik", "", f$loglik[2])
  add(nm, "concordance", "", unname(f$concordance["concordance"]))
  add(nm, "n", "", f$n)
  add(nm, "n_events", "", f$nevent)
  add(nm, "score_test", "", f$score)
  z <- cox.zph(f, transform = "km")
  add(nm, "zph_chisq", rownames(z$table), unname(z$table[, "chisq"]))
  add(nm, "zph_df", rownames(z$table), unname(z$table[, "df"]))
  for (tr in c("identity", "rank", "log")) {
    z <- cox.zph(f, transform = tr)
    add(nm, paste0("zph_chisq_", tr), rownames(z$table), unname(z$table[, "chisq"]))
  }
}
options(scipen = 100)
ref <- do.call(rbind, rows)
ref$value <- sprintf("%.17g", ref$value)
save_csv(ref, "cox_reference.csv")

# ---- Kaplan-Meier ----------------------------------------------------------------------
km_rows <- list()
med_rows <- list()
km_add <- function(name, sf, groups) {
  s <- summary(sf, censored = TRUE)
  strata <- if (is.null(s$strata)) rep("", length(s$time)) else
    sub("^[^=]*=", "", as.character(s$strata))
  km_rows[[length(km_rows) + 1]] <<- data.frame(
    dataset = name, group = strata, time = s$time, survival = s$surv, ci_low = s$lower,
    ci_high = s$upper, n_at_risk = s$n.risk, n_events = s$n.event, n_censored = s$n.censor,
    std_err = s$std.err)
  tab <- summary(sf)$table
  if (is.null(dim(tab))) tab <- t(as.matrix(tab))
  g <- if (is.null(sf$strata)) "" else sub("^[^=]*=", "", rownames(tab))
  med_rows[[length(med_rows) + 1]] <<- data.frame(
    dataset = name, group = g, median = tab[, "median"], ci_low = tab[, "0.95LCL"],
    ci_high = tab[, "0.95UCL"])
}
km_add("lung_by_sex", survfit(Surv(time, dead) ~ sex, data = lung), TRUE)
km_add("lung", survfit(Surv(time, dead) ~ 1, data = lung), FALSE)
km_add("veteran_by_celltype", survfit(Surv(time, status) ~ celltype, data = veteran), TRUE)
km_add("ties_by_region", survfit(Surv(days, event) ~ region, data = ties), TRUE)
km_add("heavy", survfit(Surv(time, event) ~ 1, data = heavy), FALSE)
km <- do.call(rbind, km_rows)
for (col in c("time", "survival", "ci_low", "ci_high", "std_err")) {
  km[[col]] <- ifelse(is.na(km[[col]]), NA, sprintf("%.17g", km[[col]]))
}
save_csv(km, "cox_km_reference.csv")
med <- do.call(rbind, med_rows)
save_csv(med, "cox_km_median_reference.csv")

writeLines(c(R.version.string,
             paste("survival", as.character(packageVersion("survival"))),
             paste("platform", R.version$platform)),
           file.path("tests", "reference", "versions_cox.txt"))
