using System.Text.Json;
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
/// The city's notices to citizens, posted and withdrawn by admins from the console and read on My Page: kept in
/// <c>notices.json</c> in the ingest's data folder, replaced whole on each change. Bounded: at most <see cref="MaxKept"/>
/// notices are kept (the oldest no longer shown go first), and a post past that while all are shown is refused.
/// </summary>
public sealed class CityNotices
{
    public const string FileName = "notices.json";
    public const int MaxKept = 200;
    public const int MaxTitleLength = 100;
    public const int MaxBodyLength = 2000;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly Lock _lock = new();
    private readonly string _path;
    private readonly TimeProvider _time;
    private List<CityNotice> _notices;

    public CityNotices(string dataDirectory, TimeProvider time)
    {
        _path = Path.Combine(dataDirectory, FileName);
        _time = time;
        _notices = File.Exists(_path) ? JsonSerializer.Deserialize<List<CityNotice>>(File.ReadAllBytes(_path), Json) ?? [] : [];
    }

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
        DateTimeOffset now = _time.GetUtcNow();
        if (Problem(title, body, until, now) is { } problem)
        {
            return (null, problem);
        }

        lock (_lock)
        {
            List<CityNotice> kept = [.. _notices];
            while (kept.Count >= MaxKept && kept.FindIndex(n => !n.IsShownAt(now)) is var oldest and >= 0)
            {
                kept.RemoveAt(oldest);
            }

            if (kept.Count >= MaxKept)
            {
                return (null, $"掲載中のお知らせが{MaxKept}件あります。取り下げてから投稿してください / {MaxKept} notices are shown: withdraw one first");
            }

            long id = _notices.Count == 0 ? 1 : _notices.Max(n => n.Id) + 1;
            var notice = new CityNotice(id, kind, title!.Trim(), body!.Trim(), now, until, postedBy, null);
            kept.Add(notice);
            Save(kept);
            return (notice, null);
        }
    }

    /// <summary>Withdraws a shown notice; false when there is no such notice or it was withdrawn already.</summary>
    public bool Withdraw(long id)
    {
        DateTimeOffset now = _time.GetUtcNow();
        lock (_lock)
        {
            int i = _notices.FindIndex(n => n.Id == id && n.WithdrawnAt is null);
            if (i < 0)
            {
                return false;
            }

            List<CityNotice> next = [.. _notices];
            next[i] = next[i] with { WithdrawnAt = now };
            Save(next);
            return true;
        }
    }

    /// <summary>What citizens see now: urgent notices first, then the newest first.</summary>
    public IReadOnlyList<CityNotice> Shown()
    {
        DateTimeOffset now = _time.GetUtcNow();
        lock (_lock)
        {
            return [.. _notices.Where(n => n.IsShownAt(now)).OrderByDescending(n => n.Kind == NoticeKind.Urgent).ThenByDescending(n => n.PostedAt).ThenByDescending(n => n.Id)];
        }
    }

    /// <summary>Every notice kept, newest first (the console's list).</summary>
    public IReadOnlyList<CityNotice> All()
    {
        lock (_lock)
        {
            return [.. _notices.OrderByDescending(n => n.Id)];
        }
    }

    // Under _lock: durable first, then the new list is the one read.
    private void Save(List<CityNotice> next)
    {
        DurableJsonFile.Write(_path, next, Json, ownerOnly: false);
        _notices = next;
    }
}
