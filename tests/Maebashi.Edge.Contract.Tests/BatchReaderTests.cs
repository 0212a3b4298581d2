using System.Text;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Validation;

namespace Maebashi.Edge.Contract.Tests;

[Trait("Category", "Contract")]
public class BatchReaderTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 8, 30, 0, TimeSpan.FromHours(9));
    private const string Tok = "fYLPTEcc3V8cNDIWtme8Bw";

    private static string Board(ulong seq, string at = "2026-11-26T08:00:00+09:00") =>
        $$"""{"seq":{{seq}},"type":"board","at":"{{at}}","card":{"tok":"{{Tok}}","tech":"iso14443a"},"ctx":{"route":"R01","vehicle":"V0042","stop":"S01"},"decision":"accept"}""";

    private static BatchReadResult Read(string json, string topicDevice = "BUS0042") =>
        BatchReader.Read(topicDevice, Encoding.UTF8.GetBytes(json), Now);

    private static string Batch(params string[] events) => $$"""{"device":"BUS0042","events":[{{string.Join(",", events)}}]}""";

    [Fact]
    public void A_good_batch_reads_every_event()
    {
        BatchReadResult r = Read(Batch(Board(1), Board(5), """{"seq":9,"type":"trip_end","at":"2026-11-26T08:20:00+09:00","ctx":{"vehicle":"V0042"}}"""));
        Assert.False(r.IsRejected);
        Assert.Equal("BUS0042", r.Device);
        Assert.Equal([1UL, 5UL, 9UL], r.Events.Select(e => e.Seq));
        Assert.All(r.Events, e => Assert.True(e.IsValid));
        TapEvent first = r.Events[0].Event!;
        Assert.Equal(EventTypes.Board, first.Type);
        Assert.Equal(TimeSpan.FromHours(9), first.At.Offset);
        Assert.Equal(Tok, first.Card!.Tok);
        Assert.Equal("S01", first.Ctx.Stop);
        Assert.Null(r.Events[2].Event!.Card);
    }

    [Theory]
    [InlineData("{not json", ErrorCode.NotJson, "$", "not JSON")]
    [InlineData("[1,2]", ErrorCode.NotBatchShape, "$", "expected an object")]
    [InlineData("""{"events":[]}""", ErrorCode.NotBatchShape, "device", "missing")]
    [InlineData("""{"device":42,"events":[]}""", ErrorCode.NotBatchShape, "device", "expected a string")]
    [InlineData("""{"device":"BUS0042"}""", ErrorCode.NotBatchShape, "events", "missing")]
    [InlineData("""{"device":"BUS0042","events":{}}""", ErrorCode.NotBatchShape, "events", "expected an array")]
    [InlineData("""{"device":"BUS0042","events":[7]}""", ErrorCode.NotBatchShape, "events[0]", "expected an object")]
    [InlineData("""{"device":"BUS0042","events":[{"type":"board"}]}""", ErrorCode.NotBatchShape, "events[0].seq", "missing")]
    [InlineData("""{"device":"BUS0042","events":[{"seq":"1"}]}""", ErrorCode.NotBatchShape, "events[0].seq", "unsigned 64-bit")]
    [InlineData("""{"device":"BUS0042","events":[{"seq":-3}]}""", ErrorCode.NotBatchShape, "events[0].seq", "unsigned 64-bit")]
    [InlineData("""{"device":"BUS0043","events":[]}""", ErrorCode.DeviceMismatch, "device", "topic of 'BUS0042'")]
    public void A_batch_that_cannot_be_read_is_rejected_whole(string json, ErrorCode code, string field, string reason)
    {
        BatchReadResult r = Read(json);
        Assert.True(r.IsRejected);
        Assert.Empty(r.Events);
        Assert.Equal(ErrorScope.Batch, r.BatchError!.Scope);
        Assert.Equal(code, r.BatchError.Code);
        Assert.Equal(field, r.BatchError.Field);
        Assert.Contains(reason, r.BatchError.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(3UL, 3UL)]
    [InlineData(5UL, 4UL)]
    public void Seq_not_strictly_increasing_rejects_the_whole_batch(ulong first, ulong second)
    {
        BatchReadResult r = Read(Batch(Board(1), Board(first), Board(second)));
        Assert.Equal(ErrorCode.SeqNotIncreasing, r.BatchError!.Code);
        Assert.Equal("events[2].seq", r.BatchError.Field);
        Assert.Contains($"seq {second} does not increase on the previous event's seq {first}", r.BatchError.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_batch_over_256_KiB_is_rejected_whole_before_parsing()
    {
        var events = new List<string>();
        for (ulong i = 1; events.Sum(e => e.Length) < BatchReader.MaxPayloadBytes; i++)
        {
            events.Add(Board(i));
        }

        BatchReadResult r = Read(Batch([.. events]));
        Assert.Equal(ErrorCode.TooLarge, r.BatchError!.Code);
        Assert.Contains("over the limit of 262144 bytes", r.BatchError.Reason, StringComparison.Ordinal);

        // Just under the limit is fine.
        while (Batch([.. events]).Length > BatchReader.MaxPayloadBytes)
        {
            events.RemoveAt(events.Count - 1);
        }

        Assert.False(Read(Batch([.. events])).IsRejected);
    }

    public static TheoryData<string, ErrorCode, string, string> BadEvents() => new()
    {
        { Board(2).Replace("\"board\"", "\"teleport\""), ErrorCode.UnknownEventType, "events[1].type", "unknown event type 'teleport'" },
        { Board(2).Replace("\"type\":\"board\",", ""), ErrorCode.MissingField, "events[1].type", "missing" },
        { Board(2).Replace("\"type\":\"board\"", "\"type\":3"), ErrorCode.MistypedField, "events[1].type", "expected a string, got the number 3" },
        { Board(2, "2026-11-26T08:00:00"), ErrorCode.AtWithoutOffset, "events[1].at", "has no UTC offset" },
        { Board(2, "yesterday"), ErrorCode.BadValue, "events[1].at", "not an ISO 8601" },
        { Board(2, "2026-11-26T08:36:00+09:00"), ErrorCode.AtInFuture, "events[1].at", "more than 5 minutes ahead" },
        { Board(2, "2026-11-25T23:00:00Z"), ErrorCode.MissingField, "<none>", "" },
        { Board(2).Replace(",\"card\":{\"tok\":\"" + Tok + "\",\"tech\":\"iso14443a\"}", ""), ErrorCode.MissingField, "events[1].card", "missing" },
        { Board(2).Replace("\"tok\":\"" + Tok + "\",", ""), ErrorCode.MissingField, "events[1].card.tok", "missing" },
        { Board(2).Replace(Tok, "short"), ErrorCode.BadValue, "events[1].card.tok", "22 base64url" },
        { Board(2).Replace("iso14443a", "barcode"), ErrorCode.BadValue, "events[1].card.tech", "unknown card tech 'barcode'" },
        { Board(2).Replace("\"stop\":\"S01\"", "\"stop\":1"), ErrorCode.MistypedField, "events[1].ctx.stop", "expected a string" },
        { Board(2).Replace(",\"stop\":\"S01\"", ""), ErrorCode.MissingField, "events[1].ctx.stop", "missing" },
        { Board(2).Replace("\"decision\":\"accept\"", "\"decision\":\"maybe\""), ErrorCode.BadValue, "events[1].decision", "expected accept or deny" },
        { """{"seq":2,"type":"trip_end","at":"2026-11-26T08:00:00+09:00","ctx":{}}""", ErrorCode.MissingField, "events[1].ctx.vehicle", "missing" },
        { """{"seq":2,"type":"event_in","at":"2026-11-26T08:00:00+09:00","card":{"tok":"fYLPTEcc3V8cNDIWtme8Bw","tech":"iso14443a"},"ctx":{},"decision":"accept"}""", ErrorCode.MissingField, "events[1].ctx.event", "missing" },
        { """{"seq":2,"type":"clinic_checkin","at":"2026-11-26T08:00:00+09:00","card":{"tok":"fYLPTEcc3V8cNDIWtme8Bw","tech":"iso14443a"},"ctx":{"clinic":"C01","queue":"one"},"decision":"accept"}""", ErrorCode.MistypedField, "events[1].ctx.queue", "expected an integer" },
    };

    [Theory]
    [MemberData(nameof(BadEvents))]
    public void An_event_wrong_on_its_own_is_rejected_alone(string bad, ErrorCode code, string field, string reason)
    {
        BatchReadResult r = Read(Batch(Board(1), bad, Board(3)));
        Assert.False(r.IsRejected);
        Assert.Equal(3, r.Events.Count);
        Assert.True(r.Events[0].IsValid);
        Assert.True(r.Events[2].IsValid);
        if (field == "<none>")
        {
            // Control row: an at with Z is a valid offset and not in the future.
            Assert.True(r.Events[1].IsValid);
            return;
        }

        ContractError e = r.Events[1].Error!;
        Assert.Equal(2UL, r.Events[1].Seq);
        Assert.Equal(ErrorScope.Event, e.Scope);
        Assert.Equal(code, e.Code);
        Assert.Equal(field, e.Field);
        Assert.Contains(reason, e.Reason, StringComparison.Ordinal);
        Assert.StartsWith(field + ": ", e.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void At_up_to_five_minutes_ahead_is_accepted_for_clock_skew()
    {
        Assert.True(Read(Batch(Board(1, "2026-11-26T08:35:00+09:00"))).Events[0].IsValid);
        Assert.False(Read(Batch(Board(1, "2026-11-26T08:35:01+09:00"))).Events[0].IsValid);
    }

    [Fact]
    public void A_written_batch_reads_back_the_same()
    {
        var batch = new EventBatch
        {
            Device = "CLN01",
            Events =
            [
                new TapEvent
                {
                    Seq = 7, Type = EventTypes.ClinicCheckin, At = Now,
                    Card = new CardRef { Tok = Tok, Tech = "felica" },
                    Ctx = new TapContext { Clinic = "C01", Queue = 3 },
                },
            ],
        };

        byte[] json = ContractJson.Serialize(batch);
        Assert.DoesNotContain("\"route\"", Encoding.UTF8.GetString(json), StringComparison.Ordinal);
        BatchReadResult r = BatchReader.Read("CLN01", json, Now);
        TapEvent back = Assert.Single(r.Events).Event!;
        Assert.Equal(7UL, back.Seq);
        Assert.Equal(Now, back.At);
        Assert.Equal(3, back.Ctx.Queue);
        Assert.Equal("felica", back.Card!.Tech);
    }
}
