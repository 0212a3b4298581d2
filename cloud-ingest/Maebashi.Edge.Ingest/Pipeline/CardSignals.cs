using Maebashi.Edge.Ingest.CardAuth;
using Maebashi.Edge.Ingest.Rules;
using Maebashi.Edge.Ingest.Store;

namespace Maebashi.Edge.Ingest.Pipeline;

/// <summary>
/// What the rules found about card reads beyond the wallet, turned into the unit's work: the quarantine code of a
/// refused read, the cards a clone signal denies, and the travel reviews to keep (issue 15).
/// </summary>
internal static class CardSignals
{
    /// <summary>The quarantine code of a tap refused by any other rule.</summary>
    public const string RuleCode = "Rule";

    /// <summary>The quarantine's code for a tap the rules refused: a card read that is not the genuine card's, or any other rule.</summary>
    public static string RefusalCode(WalletView view, TapRecord tap)
    {
        if (tap.Auth == CardReadAuth.None)
        {
            return RuleCode;
        }

        var at = new StoredTapRef(tap.Device, tap.Seq);
        return view.CloneSignals.Any(s => s.Tap == at) ? nameof(CardReadProblem.Clone)
            : tap.Auth == CardReadAuth.Missing ? nameof(CardReadProblem.UnauthenticatedRead)
            : RuleCode;
    }

    /// <summary>
    /// A clone signal among the evaluated facts denies the card when this batch brought a read of it: the clone read
    /// itself, or an earlier read arriving late that proves an applied one was the copy (withdrawn by the re-rating).
    /// A travel review is kept once, when one of its two taps arrives.
    /// </summary>
    public static void Collect(IEnumerable<WalletView> views, IReadOnlyList<TapRecord> fresh, DenyChanges deny, List<(TravelReview Review, DateTimeOffset FlaggedAt)> reviews, DateTimeOffset now)
    {
        var cards = new HashSet<string>(fresh.Select(t => t.Event.Card?.Tok).OfType<string>(), StringComparer.Ordinal);
        var taps = new HashSet<StoredTapRef>(fresh.Select(t => new StoredTapRef(t.Device, t.Seq)));
        foreach (WalletView view in views)
        {
            foreach (CloneSignal signal in view.CloneSignals)
            {
                if (cards.Contains(signal.Card))
                {
                    deny.Clones.TryAdd(signal.Card, signal.At);
                }
            }

            foreach (TravelReview review in view.TravelReviews)
            {
                if (taps.Contains(review.From) || taps.Contains(review.To))
                {
                    reviews.Add((review, now));
                }
            }
        }
    }
}
