using System.Device.Gpio;
using System.Device.Spi;
using System.IO.Ports;
using System.Threading;
using Maebashi.Edge.Firmware;
using nanoFramework.Hardware.Esp32;

namespace Maebashi.Edge.Validator
{
    /// <summary>
    /// ESP32 door validator: routes the pins of hardware/pinmaps/esp32-devkitc-validator.json (BoardPins.cs), opens the
    /// MFRC522 on VSPI, the RS-485 transceiver on COM2 in RS-485 mode (RTS drives DE//RE), the LEDs and buzzer, the
    /// tap ring and settings files on the internal storage drive, and runs the firmware core's main loop.
    /// All logic lives in firmware/Core; this file only wires hardware to its interfaces.
    /// </summary>
    public static class Program
    {
        public static void Main()
        {
            Configuration.SetPinFunction(BoardPins.SpiClock, DeviceFunction.SPI1_CLOCK);
            Configuration.SetPinFunction(BoardPins.SpiMosi, DeviceFunction.SPI1_MOSI);
            Configuration.SetPinFunction(BoardPins.SpiMiso, DeviceFunction.SPI1_MISO);
            Configuration.SetPinFunction(BoardPins.Rs485Tx, DeviceFunction.COM2_TX);
            Configuration.SetPinFunction(BoardPins.Rs485Rx, DeviceFunction.COM2_RX);
            Configuration.SetPinFunction(BoardPins.Rs485DriverEnable, DeviceFunction.COM2_RTS);

            var gpio = new GpioController();
            SpiDevice spi = SpiDevice.Create(new SpiConnectionSettings(1, BoardPins.ReaderChipSelect)
            {
                ClockFrequency = 1_000_000,
                Mode = SpiMode.Mode0,
                DataFlow = DataFlow.MsbFirst,
            });

            var serial = new SerialPort("COM2", 115200, Parity.None, 8, StopBits.One);
            serial.Mode = SerialMode.RS485;
            serial.Open();

            var firmware = new ValidatorFirmware(
                new SpiRegisterBus(spi),
                new ResetPin(gpio, BoardPins.ReaderReset),
                new Rs485Port(serial),
                new FileFlashStorage("I:\\taps.bin", 4096, 64),
                new FileFlashStorage("I:\\settings.bin", 4096, 2),
                new GpioFeedback(gpio, BoardPins.LedGreen, BoardPins.LedRed, BoardPins.Buzzer),
                new DeviceClock());
            firmware.Start();

            while (true)
            {
                firmware.Step();
                Thread.Sleep(2);
            }
        }
    }
}
