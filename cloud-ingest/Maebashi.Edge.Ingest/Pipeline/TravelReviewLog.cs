using System.Text.Json;
using Maebashi.Edge.Ingest.Rules;
using Maebashi.Edge.Ingest.Store;

namespace Maebashi.Edge.Ingest.Pipeline;

/// <summary>A card's two taps too far apart for the time between them, as operators review it (no PID: the card token).</summary>
public sealed record TravelReviewEntry(string Card, string FromDevice, ulong FromSeq, DateTimeOffset FromAt, string ToDevice, ulong ToSeq, DateTimeOffset ToAt, double Kilometres, DateTimeOffset FlaggedAt);

/// <summary>
/// The travel reviews (<see cref="TravelRules"/>), newest first, kept in the store's meta under one key and written in
/// the unit that brought the tap. At most <see cref="MaxEntries"/>: older ones fall off (they are also counted in
/// <c>maebashi_ingest_travel_reviews_total</c>).
/// </summary>
internal static class TravelReviewLog
{
    public const string MetaKey = "travelReviews";
    public const int MaxEntries = 500;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IReadOnlyList<TravelReviewEntry> Read(string? stored) =>
        string.IsNullOrEmpty(stored) ? [] : JsonSerializer.Deserialize<List<TravelReviewEntry>>(stored, Json) ?? [];

    /// <summary>Adds the unit's new reviews (a pair already listed is not added twice); how many were new.</summary>
    public static int Append(IIngestWrite w, IReadOnlyList<(TravelReview Review, DateTimeOffset FlaggedAt)> reviews)
    {
        // Locked: two workers flagging reviews at once each add theirs to the list the other committed.
        List<TravelReviewEntry> list = [.. Read(w.GetMetaForUpdate(MetaKey))];
        int added = 0;
        foreach ((TravelReview r, DateTimeOffset flaggedAt) in reviews)
        {
            if (list.Exists(e => e.FromDevice == r.From.Device && e.FromSeq == r.From.Seq && e.ToDevice == r.To.Device && e.ToSeq == r.To.Seq))
            {
                continue;
            }

            list.Insert(0, new TravelReviewEntry(r.Card, r.From.Device, r.From.Seq, r.FromAt, r.To.Device, r.To.Seq, r.ToAt, Math.Round(r.Kilometres, 2), flaggedAt));
            added++;
        }

        if (added > 0)
        {
            w.SetMeta(MetaKey, JsonSerializer.Serialize(list.Take(MaxEntries).ToList(), Json));
        }

        return added;
    }
}
