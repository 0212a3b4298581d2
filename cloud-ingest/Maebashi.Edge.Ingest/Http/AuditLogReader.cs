using System.Text.Json;

namespace Maebashi.Edge.Ingest.Http;

/// <summary>One line of <c>audit.jsonl</c> as the console shows it; <see cref="Offset"/> is where the line starts in the file.</summary>
public sealed record AuditEntry(DateTimeOffset At, string Operator, string Scope, string Method, string Route, int Status, IReadOnlyList<string> Subjects, long Offset);

/// <summary>A page of the audit log, newest first; <see cref="Older"/> is the cursor of the next page, null at the file's start.</summary>
public sealed record AuditPage(IReadOnlyList<AuditEntry> Entries, long? Older);

/// <summary>
/// Reads <see cref="AuditLog"/>'s file backwards from a byte offset, so a page costs the same however long the log
/// has grown: the newest lines first, and the next page starts where this one stopped.
/// </summary>
public static class AuditLogReader
{
    private const int ChunkBytes = 64 * 1024;

    /// <summary>
    /// A filter for a rare operator could otherwise read the whole file for one page: a page stops after this many
    /// bytes and offers the rest as its next page.
    /// </summary>
    public const long MaxScanBytes = 8 * 1024 * 1024;

    /// <param name="before">Read lines that start before this offset; null: from the end of the file.</param>
    /// <param name="operatorName">Only this operator's lines; null: every line.</param>
    public static AuditPage Read(string path, long? before, int take, string? operatorName)
    {
        if (!File.Exists(path))
        {
            return new AuditPage([], null);
        }

        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        long pos = Math.Clamp(before ?? file.Length, 0, file.Length);
        long stop = Math.Max(0, pos - MaxScanBytes);
        var entries = new List<AuditEntry>(take);
        byte[] carry = [];
        while (pos > stop && entries.Count < take)
        {
            int n = (int)Math.Min(ChunkBytes, pos - stop);
            pos -= n;
            byte[] buffer = new byte[n + carry.Length];
            file.Position = pos;
            file.ReadExactly(buffer, 0, n);
            carry.CopyTo(buffer, n);

            // '\n' never occurs inside a UTF-8 sequence, so lines split on bytes; the part before the chunk's first
            // newline may continue in the previous chunk and is carried there.
            int end = buffer.Length;
            for (int i = buffer.Length - 1; i >= 0 && entries.Count < take; i--)
            {
                if (buffer[i] == (byte)'\n')
                {
                    Add(entries, buffer.AsSpan(i + 1, end - i - 1), pos + i + 1, operatorName);
                    end = i;
                }
            }

            if (entries.Count >= take)
            {
                return new AuditPage(entries, entries[^1].Offset > 0 ? entries[^1].Offset : null);
            }

            carry = buffer[..end];
        }

        if (pos == 0 && carry.Length > 0)
        {
            Add(entries, carry, 0, operatorName);
            carry = [];
        }

        // Stopped at the scan bound: the lines not yet read (those before the carried part) are the next page.
        long? older = pos > 0 ? pos + carry.Length : null;
        if (entries.Count >= take && entries[^1].Offset > 0)
        {
            older = entries[^1].Offset;
        }

        return new AuditPage(entries, older);
    }

    private static void Add(List<AuditEntry> entries, ReadOnlySpan<byte> line, long offset, string? operatorName)
    {
        if (line.IsEmpty)
        {
            return;
        }

        using JsonDocument doc = JsonDocument.Parse(line.ToArray());
        JsonElement e = doc.RootElement;
        string op = e.GetProperty("operator").GetString() ?? "";
        if (operatorName is not null && op != operatorName)
        {
            return;
        }

        entries.Add(new AuditEntry(
            e.GetProperty("at").GetDateTimeOffset(),
            op,
            e.GetProperty("scope").GetString() ?? "",
            e.GetProperty("method").GetString() ?? "",
            e.GetProperty("route").GetString() ?? "",
            e.GetProperty("status").GetInt32(),
            [.. e.GetProperty("subjects").EnumerateArray().Select(s => s.GetString() ?? "")],
            offset));
    }
}
