using System.Security.Cryptography;
using LiteDB;
using Maebashi.Edge.Contract.Messages;

namespace Maebashi.Edge.Terminal.Ledger;

/// <summary>
/// A My Number card's certificate and signature (<c>card.jpki</c>) in the ledger: kept only until the ingest acknowledges
/// the tap, then scrubbed from the stored event; shown to a technician as the certificate's hash only. The ledger calls
/// it under its lock, the scrubs inside its transactions.
/// </summary>
internal sealed class LedgerProofs(ILiteCollection<LedgerEntry> taps)
{
    // Unacknowledged entries that hold a proof.
    private readonly HashSet<ulong> _held = [];

    /// <summary>Cheap pre-check at load: only entries whose JSON has a <c>jpki</c> property (not the tech) can hold a proof.</summary>
    public static bool MayHold(string json) => json.Contains("\"jpki\":", StringComparison.Ordinal);

    /// <summary>An unacknowledged entry that holds a proof.</summary>
    public void Hold(ulong seq) => _held.Add(seq);

    /// <summary>Which of the newly acknowledged entries hold a proof; they are no longer tracked.</summary>
    public List<ulong> Acknowledged(IEnumerable<ulong> acked)
    {
        List<ulong> scrub = [.. acked.Where(_held.Contains)];
        _held.ExceptWith(scrub);
        return scrub;
    }

    /// <summary>Removes <c>card.jpki</c> from these entries (inside a transaction).</summary>
    public void Scrub(IEnumerable<ulong> seqs)
    {
        foreach (ulong seq in seqs)
        {
            if (taps.FindById((long)seq) is not { } entry)
            {
                continue;
            }

            TapEvent e = TerminalJson.ParseEvent(entry.Json);
            if (e.Card?.Jpki is null)
            {
                continue;
            }

            e.Card.Jpki = null;
            entry.Json = TerminalJson.Serialize(e);
            entry.Check = TapLedger.Checksum(entry.Json);
            taps.Update(entry);
        }
    }

    /// <summary>What a technician may see of a card's proof: which certificate (its SHA-256), and that a signature is there.</summary>
    public static CardJpki Redacted(CardJpki proof)
    {
        string certificate;
        try
        {
            certificate = "sha256:" + Convert.ToHexString(SHA256.HashData(Convert.FromBase64String(proof.Cert))).ToLowerInvariant();
        }
        catch (FormatException)
        {
            certificate = "unreadable";
        }

        return new CardJpki { Cert = certificate, Sig = proof.Sig.Length > 0 ? "present" : "" };
    }
}
