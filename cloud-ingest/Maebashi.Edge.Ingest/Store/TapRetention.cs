using Maebashi.Edge.Ingest.Rules;

namespace Maebashi.Edge.Ingest.Store;

/// <summary>
/// How long raw taps are kept (<c>ingest run --tap-retention-years</c>; docs/decisions.md, "Tap retention"): whole
/// service days, counted in years as a city's record-keeping rules count them. Wallet entries, adjustments, top-ups,
/// check-ins, participations, day checkpoints and audit records are never dropped.
/// </summary>
public static class TapRetention
{
    /// <summary>Seven years: beyond the five-year limitation of a municipality's monetary claims (docs/decisions.md, "Tap retention").</summary>
    public const int DefaultYears = 7;

    /// <summary>Longest retention the option takes (a longer one is a typing mistake, not a policy).</summary>
    public const int MaxYears = 100;

    /// <summary>Taps removed per purge unit: each unit is short, so the ingest's units wait little behind it.</summary>
    public const int PurgeStep = 10_000;

    /// <summary>The first service day whose taps are kept at <paramref name="now"/>: taps of earlier days may be purged.</summary>
    public static DateOnly Horizon(DateTimeOffset now, int years) => WalletRules.ServiceDay(now).AddYears(-years);

    /// <summary>Purges every tap past the retention, one bounded unit after another; returns how many went.</summary>
    public static long Purge(IIngestStore store, DateTimeOffset now, int years)
    {
        DateOnly horizon = Horizon(now, years);
        long purged = 0;
        int step;
        do
        {
            step = store.PurgeTaps(horizon, PurgeStep);
            purged += step;
        }
        while (step > 0);

        return purged;
    }
}
