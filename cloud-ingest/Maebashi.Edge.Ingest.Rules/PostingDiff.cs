namespace Maebashi.Edge.Ingest.Rules;

/// <summary>
/// Turns two evaluations of one person into the wallet's adjustment entries (docs/contract.md §3.4: a late tap
/// re-rates the person, and the difference from the previous evaluation is booked as adjustment entries).
/// </summary>
public static class PostingDiff
{
    /// <summary>
    /// For every key whose value or points changed between <paramref name="before"/> and <paramref name="after"/>,
    /// one entry carrying the difference (a posting that appeared is all difference, one that vanished is its
    /// negation), in the order of <paramref name="after"/> then the vanished ones in the order of
    /// <paramref name="before"/>. Summing the entries onto the old balance gives the new one.
    /// </summary>
    public static IReadOnlyList<Posting> Adjustments(IReadOnlyList<Posting> before, IReadOnlyList<Posting> after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var old = new Dictionary<string, Posting>(before.Count, StringComparer.Ordinal);
        foreach (Posting p in before)
        {
            old[p.Key] = p;
        }

        var result = new List<Posting>();
        foreach (Posting p in after)
        {
            if (old.Remove(p.Key, out Posting? was))
            {
                if (was.Value != p.Value || was.Points != p.Points)
                {
                    result.Add(p with { Value = p.Value - was.Value, Points = p.Points - was.Points });
                }
            }
            else
            {
                result.Add(p);
            }
        }

        foreach (Posting p in before)
        {
            if (old.ContainsKey(p.Key))
            {
                result.Add(p with { Value = -p.Value, Points = -p.Points });
            }
        }

        return result;
    }
}
