using LiteDB;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Terminal.Ledger;

namespace Maebashi.Edge.Terminal.Roles;

/// <summary>
/// Clinic reception's queue numbers: one per card and local day, counted up from 1 each day. They are kept in the
/// ledger and issued in the same durable commit as the check-in's entry, so a restart (or a power cut) neither
/// repeats a number nor gives a card a second one. Not thread-safe: the tap pipeline decides one tap at a time.
/// </summary>
internal sealed class ClinicQueue
{
    private readonly TapLedger _ledger;
    private readonly ILiteCollection<QueueTicket> _tickets;
    private readonly ILiteCollection<QueueDay> _days;

    public ClinicQueue(TapLedger ledger)
    {
        _ledger = ledger;
        _tickets = ledger.StateCollection<QueueTicket>("queue", x => x.Id);
        _days = ledger.StateCollection<QueueDay>("queueDays", x => x.Id);
    }

    /// <summary>The queue number this card already has today, if any (nothing is issued).</summary>
    public int? NumberOf(string localDay, string token) => _tickets.FindById(localDay + "|" + token)?.Number;

    /// <summary>
    /// A check-in: the queue number of this card today if it has one (nothing appended), else the next number of
    /// the day, issued and recorded in the same durable commit as the entry <paramref name="build"/> makes.
    /// </summary>
    public (int Queue, TapEvent? Event) CheckIn(string localDay, string token, Func<ulong, int, TapEvent> build, bool notify = true)
    {
        string ticketId = localDay + "|" + token;
        if (_tickets.FindById(ticketId) is { } existing)
        {
            return (existing.Number, null);
        }

        int number = (_days.FindById(localDay)?.Last ?? 0) + 1;
        TapEvent e = _ledger.Append(seq => build(seq, number), () =>
        {
            _days.Upsert(new QueueDay { Id = localDay, Last = number });
            _tickets.Insert(new QueueTicket { Id = ticketId, Number = number });
        }, notify);
        return (number, e);
    }

    /// <summary>The number issued to a card on a day, under <c>day|token</c>.</summary>
    internal sealed class QueueTicket
    {
        public string Id { get; set; } = "";
        public int Number { get; set; }
    }

    /// <summary>The last number issued on a day, under the day.</summary>
    internal sealed class QueueDay
    {
        public string Id { get; set; } = "";
        public int Last { get; set; }
    }
}
