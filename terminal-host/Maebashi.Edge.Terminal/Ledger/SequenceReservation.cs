using System.Text.Json;
using LiteDB;
using Microsoft.Extensions.Logging;
using JsonSerializer = System.Text.Json.JsonSerializer;

namespace Maebashi.Edge.Terminal.Ledger;

/// <summary>
/// Hands out the ledger's sequence numbers from blocks reserved durably ahead of use: a block is recorded in the
/// same commit as the first tap that uses it, and first in a file beside the ledger, so a crash or power cut can
/// skip numbers but never reuse one. Not thread-safe: the ledger calls it under its lock.
/// </summary>
internal sealed class SequenceReservation
{
    private const string MetaKey = "seq";
    private const string FileName = "seq-reserved.json";

    private readonly ILiteCollection<LedgerMeta> _meta;
    private readonly string? _directory;
    private readonly LedgerOptions _options;
    private readonly ILogger _log;
    private ulong _next;
    private ulong _reservedUpTo;

    public SequenceReservation(ILiteCollection<LedgerMeta> meta, string? directory, LedgerOptions options, ILogger log)
    {
        _meta = meta;
        _directory = directory;
        _options = options;
        _log = log;
    }

    /// <summary>The number the next tap gets.</summary>
    public ulong Next => _next;

    /// <summary>Every number below this is used or skipped; none at or above it has been handed out.</summary>
    public ulong ReservedUpTo => Math.Max(_reservedUpTo, _next);

    /// <summary>True when the next number needs a new block reserved first.</summary>
    public bool BlockUsedUp => _next >= _reservedUpTo;

    /// <summary>
    /// Reads the reservation after a restart. Whatever was reserved before is never handed out again: the next number
    /// is past the reservation (in the ledger or in the file beside it), past <paramref name="lastSeq"/>, and
    /// (optionally) past the clock in milliseconds.
    /// </summary>
    public void Start(ulong lastSeq, DateTimeOffset now)
    {
        ulong reserved = (ulong)(_meta.FindById(MetaKey)?.ReservedUpTo ?? 0);
        reserved = Math.Max(reserved, ReadFile());
        ulong next = Math.Max(reserved, lastSeq + 1);
        if (_options.SeqFloorFromClock)
        {
            next = Math.Max(next, (ulong)Math.Max(1, now.ToUnixTimeMilliseconds()));
        }

        _next = Math.Max(next, 1);
        _reservedUpTo = _next; // nothing reserved yet in this run: the first append reserves a block
    }

    /// <summary>
    /// Takes the next number, and when it is past the reservation plans the next block and writes it to the file
    /// beside the ledger first: if that lands and the ledger's commit does not, a number is skipped, never reused.
    /// Nothing changes here until <see cref="Advance"/>.
    /// </summary>
    public Claim Take()
    {
        ulong seq = _next;
        bool reserves = seq >= _reservedUpTo;
        ulong reservedUpTo = reserves ? seq + (ulong)Math.Max(1, _options.SeqBlock) : _reservedUpTo;
        if (reserves)
        {
            WriteFile(reservedUpTo);
        }

        return new Claim(seq, reserves, reservedUpTo);
    }

    /// <summary>Records the claim's block in the ledger, inside the transaction that uses its number.</summary>
    public void Record(Claim claim)
    {
        if (claim.Reserves)
        {
            _meta.Upsert(new LedgerMeta { Id = MetaKey, ReservedUpTo = (long)claim.ReservedUpTo });
        }
    }

    /// <summary>After the commit reached the disk: the claim's block is reserved and, when <paramref name="used"/>, its number taken.</summary>
    public void Advance(Claim claim, bool used)
    {
        if (used)
        {
            _next = claim.Seq + 1;
        }

        _reservedUpTo = claim.ReservedUpTo;
    }

    private ulong ReadFile()
    {
        if (_directory is not { } dir)
        {
            return 0;
        }

        string path = Path.Combine(dir, FileName);
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize(File.ReadAllBytes(path), TerminalJsonContext.Default.SeqReserveFile)?.ReservedUpTo ?? 0 : 0;
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            _log.LogWarning("Sequence reservation file {Path} unreadable ({Error}); using the ledger's", path, e.Message);
            return 0;
        }
    }

    private void WriteFile(ulong reservedUpTo)
    {
        if (_directory is not { } dir)
        {
            return;
        }

        AtomicFile.Write(Path.Combine(dir, FileName), JsonSerializer.SerializeToUtf8Bytes(new SeqReserveFile { ReservedUpTo = reservedUpTo }, TerminalJsonContext.Default.SeqReserveFile));
    }

    /// <summary>A number taken by <see cref="Take"/>, and the reservation once its commit lands.</summary>
    public readonly record struct Claim(ulong Seq, bool Reserves, ulong ReservedUpTo);
}
