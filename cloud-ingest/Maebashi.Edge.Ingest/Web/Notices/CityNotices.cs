using System.Text.Json.Serialization;
using Maebashi.Edge.Ingest.Store;

namespace Maebashi.Edge.Ingest.Web.Notices;

/// <summary>What a notice is: an ordinary announcement, or an emergency that My Page puts first.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<NoticeKind>))]
public enum NoticeKind
{
    Normal,

    /// <summary>An emergency (a snowstorm, an outbreak): shown first and marked 緊急 / Urgent.</summary>
    Urgent,
}

/// <summary>One notice of the city to its citizens (お知らせ).</summary>
public sealed record CityNotice(long Id, NoticeKind Kind, string Title, string Body, DateTimeOffset PostedAt, DateTimeOffset? Until, string PostedBy, DateTimeOffset? WithdrawnAt)
{
    /// <summary>Whether citizens see it at <paramref name="now"/>: not withdrawn and not past its end.</summary>
    public bool IsShownAt(DateTimeOffset now) => WithdrawnAt is null && (Until is null || Until > now);
}

/// <summary>
/// The city's notices to citizens, posted and withdrawn by admins from the console and read on My Page: kept in the
/// store (<see cref="IConsoleStateStore"/>), so a notice posted on one ingest worker shows on every worker's My Page.
/// Bounded: at most <see cref="MaxKept"/> notices are kept (the oldest no longer shown go first), and a post past that
/// while all are shown is refused.
/// </summary>
public sealed class CityNotices(IIngestStore store, TimeProvider time)
{
    /// <summary>Where an older ingest kept the notices, under its data directory (imported once: <c>Hosting/LegacyWebStateImport</c>).</summary>
    public const string FileName = "notices.json";
    public const int MaxKept = 200;
    public const int MaxTitleLength = 100;
    public const int MaxBodyLength = 2000;

    /// <summary>What is wrong with a notice an admin wrote, naming the field, or null.</summary>
    public static string? Problem(string? title, string? body, DateTimeOffset? until, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(title) || title.Trim().Length > MaxTitleLength)
        {
            return $"件名は1〜{MaxTitleLength}文字です / title: 1 to {MaxTitleLength} characters";
        }

        if (string.IsNullOrWhiteSpace(body) || body.Trim().Length > MaxBodyLength)
        {
            return $"本文は1〜{MaxBodyLength}文字です / body: 1 to {MaxBodyLength} characters";
        }

        return until is { } end && end <= now ? "掲載終了は今より後にしてください / until: must be in the future" : null;
    }

    /// <summary>Posts a notice; null with the reason when it is refused.</summary>
    public (CityNotice? Notice, string? Problem) Post(NoticeKind kind, string? title, string? body, DateTimeOffset? until, string postedBy)
    {
        DateTimeOffset now = time.GetUtcNow();
        if (Problem(title, body, until, now) is { } problem)
        {
            return (null, problem);
        }

        CityNotice? posted = store.PostNotice(new CityNotice(0, kind, title!.Trim(), body!.Trim(), now, until, postedBy, null), MaxKept);
        return posted is null
            ? (null, $"掲載中のお知らせが{MaxKept}件あります。取り下げてから投稿してください / {MaxKept} notices are shown: withdraw one first")
            : (posted, null);
    }

    /// <summary>Withdraws a shown notice; false when there is no such notice or it was withdrawn already.</summary>
    public bool Withdraw(long id) => store.WithdrawNotice(id, time.GetUtcNow());

    /// <summary>What citizens see now: urgent notices first, then the newest first.</summary>
    public IReadOnlyList<CityNotice> Shown()
    {
        DateTimeOffset now = time.GetUtcNow();
        return [.. store.Notices().Where(n => n.IsShownAt(now)).OrderByDescending(n => n.Kind == NoticeKind.Urgent).ThenByDescending(n => n.PostedAt).ThenByDescending(n => n.Id)];
    }

    /// <summary>Every notice kept, newest first (the console's list).</summary>
    public IReadOnlyList<CityNotice> All() => [.. store.Notices().OrderByDescending(n => n.Id)];
}
