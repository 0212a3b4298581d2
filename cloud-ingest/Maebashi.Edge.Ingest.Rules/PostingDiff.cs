namespace Maebashi.Edge.Ingest.Rules;

/// <summary>Why <see cref="PostingDiff.Changes"/> wrote an entry.</summary>
public enum PostingChangeKind
{
    /// <summary>A posting seen for the first time: written as it is.</summary>
    Posted,

    /// <summary>A posting whose value or points changed: an adjustment of the difference.</summary>
    Rerated,

    /// <summary>A posting that is no longer part of the wallet: an adjustment of its negation.</summary>
    Withdrawn,
}

/// <summary>
/// One wallet entry as the difference of two evaluations gives it; the store adds whose it is and when it
/// was recorded. Value and points are signed, as in <see cref="Posting"/>.
/// </summary>
public sealed record PostingChange(PostingChangeKind Change, string Key, string Kind, long Value, long Points, string Source, DateTimeOffset At, string Description)
{
    /// <summary>A correction of an earlier entry (re-rated or withdrawn), not a posting seen for the first time.</summary>
    public bool IsAdjustment => Change != PostingChangeKind.Posted;
}

/// <summary>
/// Turns two evaluations of one person into the wallet's entries (docs/contract.md §3.4: "a late tap re-rates that
/// person's service day, and the wallet records the difference as adjustment entries"). The ingest writes
/// exactly these entries after every evaluation, so they always add up to the wallet.
/// </summary>
public static class PostingDiff
{
    /// <summary>
    /// A posting of <paramref name="after"/> not in <paramref name="before"/> becomes an entry as it is; one whose
    /// value or points changed becomes an <see cref="PostingKinds.Adjustment"/> of the difference; one that
    /// disappeared becomes an adjustment of its negation. Postings listed twice under one key count as their
    /// sum, and nothing is written for an amount of zero. Entries come in the order of <paramref name="after"/>,
    /// then the withdrawn ones in the order of <paramref name="before"/>. Summing them onto the old balance
    /// gives the new one.
    /// </summary>
    public static IReadOnlyList<PostingChange> Changes(IReadOnlyList<Posting> before, IReadOnlyList<Posting> after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        Dictionary<string, Posting> old = SumByKey(before);
        Dictionary<string, Posting> cur = SumByKey(after);
        var changes = new List<PostingChange>();
        foreach (Posting p in cur.Values)
        {
            if (!old.TryGetValue(p.Key, out Posting? o))
            {
                if (p.Value != 0 || p.Points != 0)
                {
                    changes.Add(new PostingChange(PostingChangeKind.Posted, p.Key, p.Kind, p.Value, p.Points, p.Source, p.At, p.Description));
                }
            }
            else if (o.Value != p.Value || o.Points != p.Points)
            {
                changes.Add(new PostingChange(PostingChangeKind.Rerated, p.Key, PostingKinds.Adjustment, p.Value - o.Value, p.Points - o.Points, p.Source, p.At, "re-rated: " + p.Description));
            }
        }

        foreach (Posting o in old.Values)
        {
            if (!cur.ContainsKey(o.Key) && (o.Value != 0 || o.Points != 0))
            {
                changes.Add(new PostingChange(PostingChangeKind.Withdrawn, o.Key, PostingKinds.Adjustment, -o.Value, -o.Points, o.Source, o.At, "withdrawn: " + o.Description));
            }
        }

        return changes;
    }

    // Insertion order is kept (nothing is removed), which gives the entries their documented order.
    private static Dictionary<string, Posting> SumByKey(IReadOnlyList<Posting> postings)
    {
        var d = new Dictionary<string, Posting>(postings.Count, StringComparer.Ordinal);
        foreach (Posting p in postings)
        {
            d[p.Key] = d.TryGetValue(p.Key, out Posting? prev) ? prev with { Value = prev.Value + p.Value, Points = prev.Points + p.Points } : p;
        }

        return d;
    }
}
