namespace Maebashi.Edge.Terminal.Ledger;

/// <summary>One tap as the ledger stores it, under its sequence number.</summary>
internal sealed class LedgerEntry
{
    public long Id { get; set; }
    public string Type { get; set; } = "";
    public DateTime At { get; set; }
    public string Json { get; set; } = "";

    /// <summary>The first 8 bytes of the JSON's SHA-256, in hex: <see cref="TapLedger.Verify"/> finds an entry the disk corrupted.</summary>
    public string Check { get; set; } = "";

    /// <summary>Set by versions that marked each entry; acknowledgements are now kept as <see cref="AckRange"/>s.</summary>
    public DateTime? AckedAt { get; set; }
}
