using System.Buffers;
using System.Text.Json;

namespace Maebashi.Edge.Terminal.Uplink;

/// <summary>
/// An <c>evt</c> batch's payload (<c>{"device":…,"events":[…]}</c>, docs/contract.md) written from each event's JSON as
/// the ledger stored it. The ledger writes events with the wire's conventions, so the uplink copies them rather than
/// parsing each entry into an object and serialising it again while a backlog drains; a My Number card's
/// <c>at</c>, which its signature covers, travels byte for byte as recorded.
/// </summary>
internal static class EventBatchWriter
{
    public static byte[] Write(string device, IReadOnlyList<string> events)
    {
        int size = 32 + device.Length;
        foreach (string e in events)
        {
            size += e.Length + 1;
        }

        var buffer = new ArrayBufferWriter<byte>(size + size / 8);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("device", device);
            w.WriteStartArray("events");
            foreach (string e in events)
            {
                // Written by the ledger's serialiser. An entry the disk corrupted (the doctor's Verify finds it) makes
                // the batch unreadable to the ingest, which quarantines it, as it made the parse here fail before.
                w.WriteRawValue(e, skipInputValidation: true);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
