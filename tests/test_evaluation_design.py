"""The sample design (pure NumPy): systematic PPS with certainty villages, SRS within villages, reproducibility,
and the must-hold coverage simulation on the synthetic province with known truth."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pytest

from jingzhun.demo import synth
from jingzhun.evaluation import design, rates


def test_systematic_pps_probabilities_and_certainty():
    # Sizes 50, 10 × 9 = 140 in all; 4 draws: interval 35, so the 50 is certain; then 3 draws over 90 (interval
    # 30), each 10 has π = 3·10/90 = 1/3.
    size = np.array([10, 10, 50, 10, 10, 10, 10, 10, 10, 10])
    idx, prob, sure = design.systematic_pps(size, 4, np.random.default_rng(0))
    assert len(idx) == 4 and 2 in idx.tolist()
    assert sure.tolist() == [i == 2 for i in idx.tolist()]
    assert prob.tolist() == pytest.approx([1.0 if i == 2 else 1 / 3 for i in idx.tolist()])


def test_systematic_pps_hits_each_village_at_its_probability():
    size = np.array([5, 20, 7, 30, 3, 15, 20])
    hits = np.zeros(len(size))
    for seed in range(4000):
        idx, _prob, _sure = design.systematic_pps(size, 3, np.random.default_rng(seed))
        assert len(set(idx.tolist())) == 3
        hits[idx] += 1
    assert (hits / 4000) == pytest.approx(3 * size / size.sum(), abs=0.025)


def test_all_villages_when_fewer_than_asked_and_never_one_lonely_draw():
    idx, prob, sure = design.systematic_pps(np.array([3, 4, 0]), 5, np.random.default_rng(1))
    assert idx.tolist() == [0, 1] and sure.all() and prob.tolist() == [1.0, 1.0]
    # 2 draws over [100, 5, 5]: the 100 is certain, then one draw would leave a lonely cluster: both are taken.
    idx, prob, sure = design.systematic_pps(np.array([100, 5, 5]), 2, np.random.default_rng(1))
    assert idx.tolist() == [0, 1, 2] and sure.all()


def small_frame() -> design.Frame:
    village = np.arange(431000001001, 431000001021)
    county = np.where(np.arange(20) < 10, 431000000000, 432000000000)
    return design.Frame(village, county, np.arange(20) + 5, np.full(20, 8))


def test_the_draw_is_reproducible_and_weights_invert_probabilities():
    frame, sizes = small_frame(), design.Sizes(40, 10, 0.6)
    a, b, c = design.draw(frame, sizes, 3), design.draw(frame, sizes, 3), design.draw(frame, sizes, 4)
    assert np.array_equal(a.village, b.village) and np.array_equal(a.position, b.position)
    assert not (np.array_equal(a.village, c.village) and np.array_equal(a.position, c.position))
    assert np.allclose(a.weight * a.probability, 1.0)
    # 6 exited and 4 never-registered per drawn village (fewer where the village has fewer).
    for v in np.unique(a.village):
        here = a.village == v
        assert (a.group[here] == design.EXITED).sum() == min(6, frame.exited[v])
        assert (a.group[here] == design.OTHER).sum() == min(4, frame.other[v])
        assert len(set(zip(a.group[here].tolist(), a.position[here].tolist()))) == here.sum()
    # The weights of each county's exited sample add up to about its exited households (Horvitz–Thompson).


def test_horvitz_thompson_totals_are_unbiased():
    frame, sizes = small_frame(), design.Sizes(40, 10, 0.6)
    totals = []
    # 500 draws: the mean's standard error is about 0.15 households here (0.16 %), the tolerance 1 % (≈ 6 SE).
    for seed in range(500):
        s = design.draw(frame, sizes, seed)
        totals.append(s.weight[(s.group == design.EXITED) & (frame.county[s.village] == 431000000000)].sum())
    assert np.mean(totals) == pytest.approx(frame.exited[:10].sum(), rel=0.01)


# -- The must-hold: coverage on the synthetic province --------------------------------------------------------

def province(tmp_path):
    """The synthetic province (4 counties, 60,000 registered households, seed 11, 2020) as a frame with its
    known truth. Exited households (已脱贫) come from the register, never-registered ones from true-welfare.csv
    (simulated households not on the register). The truth is the data's own (docs/evaluation.md, "Coverage"):
    a household is wrongly exited when it is exited and its true per-capita income of the year is under the
    poverty line (true_poor), missed poor when it is never-registered and true_poor. No error is planted."""
    out = tmp_path / "synth"
    synth.generate(out, 60000, 11, years=(2020,), counties=4)
    register = pcsv.read_csv(out / "register-2020.csv", convert_options=pcsv.ConvertOptions(
        column_types={"户编号": pa.string()}, include_columns=["户编号", "户状态"])).to_pydict()
    status = {n: s for n, s in zip(register["户编号"], register["户状态"], strict=True) if s}  # household rows
    welfare = pcsv.read_csv(out / "true-welfare.csv", convert_options=pcsv.ConvertOptions(
        column_types={"household_number": pa.string()})).to_pydict()
    line = synth.poverty_line(2020)
    rows = []
    for number, year, income, poor in zip(welfare["household_number"], welfare["year"],
                                          welfare["true_income_per_capita"], welfare["true_poor"], strict=True):
        if year != 2020 or status.get(number, "已脱贫") != "已脱贫":
            continue  # only exited and never-registered households are in the frame
        assert bool(poor) == (income < line)  # the file's flag is the line's verdict: one definition
        rows.append((int(number[:12]), design.EXITED if number in status else design.OTHER, number, float(bool(poor))))
    rows.sort()
    village = np.array([r[0] for r in rows])
    group = np.array([r[1] for r in rows])
    y = np.array([r[3] for r in rows])
    codes = np.unique(village)
    vi = np.searchsorted(codes, village)
    frame = design.Frame(codes, codes // 1_000_000 * 1_000_000, np.bincount(vi[group == 0], minlength=len(codes)),
                         np.bincount(vi[group == 1], minlength=len(codes)))
    first = np.searchsorted(vi * 2 + group, np.arange(len(codes) * 2))  # each (village, group)'s first row
    return frame, y, group, first


def test_province_intervals_cover_the_true_rates_in_200_repeated_samples(tmp_path):
    """The issue's must-hold, as the evaluation uses the estimator: one interval for the whole evaluated area,
    strata = the counties (each split by the design into drawn and certainty villages, `design_labels`),
    clusters = the drawn villages. 200 samples (seeds 0..199) of the default design (1,000 households per
    county, half exited): the province's 错退率 and 漏评率 are covered in at least 93 % of them."""
    frame, y, group, first = province(tmp_path)
    truth = {g: y[group == g].mean() for g in design.GROUPS}
    # The synthetic province's own rates (about 0.9 % and 0.45 %): rare, but not so rare that 2,000 sampled
    # households of a group hold no case — so no error process is planted.
    assert 0.004 < truth[design.EXITED] < 0.02 and 0.002 < truth[design.OTHER] < 0.02, truth
    assert len(np.unique(frame.county)) == 4
    covered = {g: 0 for g in design.GROUPS}
    for seed in range(200):
        s = design.draw(frame, design.Sizes(), seed)
        ys = y[first[s.village * 2 + s.group] + s.position]
        strata, clusters = design.design_labels(frame, s)
        for g, true in truth.items():
            m = s.group == g
            assert 4 * 450 <= m.sum() <= 4 * 500  # 500 a county (fewer where a village has fewer)
            assert len(np.unique(strata[m] // 10)) == 4  # one interval over all four counties' strata
            r = rates.domain_rate(ys[m], s.weight[m], strata[m], clusters[m])
            assert r is not None and r.df >= 4 * 20
            covered[g] += r.low <= true <= r.high
    assert covered[design.EXITED] / 200 >= 0.93, covered
    assert covered[design.OTHER] / 200 >= 0.93, covered
